// Hive Gateway for bench/subscriptions.py: at its defaults, except that subscriptions go to
// the subgraphs over WebSocket (graphql-transport-ws), as our router sends them; clients reach
// the gateway over WebSocket on /graphql (its default).
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({
  transportEntries: {
    "*": { options: { subscriptions: { kind: "ws" } } },
  },
});
