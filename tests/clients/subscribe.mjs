// A real subscription client, driven by the tests: `node subscribe.mjs <transport> <url>
// <token> <query> <variables-json> <stop-text>`. transport: "ws" (graphql-ws), "sse"
// (graphql-sse, distinct connections mode) or "apollo" (@apollo/client over multipart HTTP).
// Prints one JSON line per result and exits 0 after the first result containing <stop-text>;
// a client error is printed as {"clientError": ...} and exits 1.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const [transport, url, token, query, variablesJson, stopText] = process.argv.slice(2);
const variables = JSON.parse(variablesJson);
const auth = token ? `Bearer ${token}` : undefined;

function emit(result) {
  const line = JSON.stringify(result);
  process.stdout.write(line + "\n");
  return line.includes(stopText);
}

async function viaIterator(iterator) {
  for await (const result of iterator) {
    if (emit(result)) return;
  }
}

async function main() {
  if (transport === "ws") {
    const client = createWsClient({
      url: url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: auth ? { Authorization: auth } : {},
      retryAttempts: 0,
    });
    try {
      await viaIterator(client.iterate({ query, variables }));
    } finally {
      await client.dispose();
    }
  } else if (transport === "sse") {
    const client = createSseClient({
      url,
      headers: auth ? { Authorization: auth } : {},
      retryAttempts: 0,
    });
    try {
      await viaIterator(client.iterate({ query, variables }));
    } finally {
      client.dispose();
    }
  } else if (transport === "apollo") {
    const { ApolloClient, InMemoryCache, HttpLink, gql } = await import("@apollo/client/core/index.js");
    const client = new ApolloClient({
      link: new HttpLink({ uri: url, headers: auth ? { Authorization: auth } : {} }),
      cache: new InMemoryCache({ addTypename: false }),
    });
    await new Promise((resolve, reject) => {
      const subscription = client
        .subscribe({ query: gql(query), variables, fetchPolicy: "no-cache" })
        .subscribe({
          next(result) {
            if (emit({ data: result.data, errors: result.errors })) {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: reject,
          complete: resolve,
        });
    });
    client.stop();
  } else {
    throw new Error(`unknown transport ${transport}`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stdout.write(JSON.stringify({ clientError: String(error?.message ?? error) }) + "\n");
    process.exit(1);
  },
);
