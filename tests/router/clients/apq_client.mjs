// Runs one query through Apollo Client with its automatic-persisted-queries link against the
// router at argv[2], twice (a fresh client each time, so each starts by sending the hash only),
// with GET for hashed queries when argv[3] is "get". Prints one JSON line: the two results.
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";

const [url, method] = process.argv.slice(2);
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const query = gql`
  query Top {
    topProducts(first: 2) {
      id
      name
    }
  }
`;

async function once() {
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: method === "get" }).concat(
    new HttpLink({ uri: url, headers: { "apollo-require-preflight": "true" } }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const result = await client.query({ query, fetchPolicy: "no-cache" });
  return result.data;
}

const first = await once();
const second = await once();
console.log(JSON.stringify({ first, second }));
