// Apollo Client reading a query with @defer from the router, driven by the tests:
// `node defer.mjs <url> <query>`. Apollo Client's HttpLink sends
// `accept: multipart/mixed;deferSpec=20220824,...` for an operation with @defer and reads the
// multipart answer. Prints one JSON line {data, loading} per result the client delivers
// (the primary part first, then the result with the deferred parts merged) and exits 0 when
// the last part is in; a client error is printed as {"clientError": ...} and exits 1.
const [url, query] = process.argv.slice(2);

async function main() {
  const { ApolloClient, InMemoryCache, HttpLink, gql } = await import("@apollo/client/core/index.js");
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: { "apollo-require-preflight": "true" } }),
    cache: new InMemoryCache({ addTypename: false }),
  });
  await new Promise((resolve, reject) => {
    const subscription = client
      .watchQuery({ query: gql(query), fetchPolicy: "network-only" })
      .subscribe({
        next(result) {
          if (result.errors?.length || result.error) {
            reject(new Error(JSON.stringify(result.errors ?? result.error)));
            return;
          }
          process.stdout.write(JSON.stringify({ data: result.data, loading: result.loading }) + "\n");
          if (!result.loading) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
  });
  client.stop();
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stdout.write(JSON.stringify({ clientError: String(error?.message ?? error) }) + "\n");
    process.exit(1);
  },
);
