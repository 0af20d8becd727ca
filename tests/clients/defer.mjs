// Apollo Client reading a query with @defer from the router, driven by the tests:
// `node defer.mjs <url> <query> <stop-text>`. Apollo Client's HttpLink sends
// `accept: multipart/mixed;deferSpec=20220824,...` for an operation with @defer and reads the
// multipart answer. Prints one JSON line {data} per result the client delivers (the primary
// part first, then the result with each deferred part merged in) and exits 0 after the first
// result containing <stop-text>; a client error is printed as {"clientError": ...}, exit 1.
const [url, query, stopText] = process.argv.slice(2);

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
          const line = JSON.stringify({ data: result.data });
          process.stdout.write(line + "\n");
          if (line.includes(stopText)) {
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
