// Uploads a product image through the router with the clients browser apps use:
// Apollo Client with apollo-upload-client's terminating link (GraphQL multipart request).
//
//   node upload.mjs <router /graphql URL> <bearer token> <product id> <image file>
//
// Prints the mutation's data as one JSON line; exits 1 with the errors otherwise.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";

import { ApolloClient, InMemoryCache, gql } from "@apollo/client/core/index.js";
import createUploadLink from "apollo-upload-client/createUploadLink.mjs";

const [uri, token, productId, path] = process.argv.slice(2);

const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: createUploadLink({
    uri,
    // The router's CSRF prevention: multipart/form-data is a "simple" content type, so the
    // request must carry a header only scripts can set (as with Apollo Router).
    headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
  }),
});

const UPLOAD = gql`
  mutation UploadProductImage($productId: ID!, $file: Upload!, $altText: String) {
    uploadProductImage(productId: $productId, file: $file, altText: $altText) {
      id
      url
      altText
    }
  }
`;

const bytes = await readFile(path);
const file = new File([bytes], basename(path), { type: "image/png" });
try {
  const result = await client.mutate({
    mutation: UPLOAD,
    variables: { productId, file, altText: "Uploaded by Apollo Client" },
  });
  process.stdout.write(JSON.stringify(result.data) + "\n");
} catch (error) {
  process.stderr.write(`upload failed: ${error}\n${JSON.stringify(error.graphQLErrors ?? error.networkError?.result ?? null)}\n`);
  process.exit(1);
}
