// The synthetic event stream of bench/subscriptions.py: one federation subgraph with
// `Subscription.ticks(topic)`, served over graphql-transport-ws by the graphql-ws library (any
// path), and queries over POST. POST /publish emits one event on every topic that has a
// subscriber, stamped with Date.now() at publishing (?count=N: N events each, ?pad=B: each
// with a `pad` of B characters); GET /stats answers
// {"subscriptions": open upstream subscriptions, "opened": opened so far, "published": events,
// "seq": publishes so far, "headers": the headers of the latest WebSocket upgrade}.
//
// Usage: node subgraphs/ticks.mjs --port N [--host 127.0.0.1]
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { graphql, parse } from "graphql";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } },
});

// topic -> set of listeners (one per open upstream subscription); seq counts publishes, so
// one publish's events carry the same seq on every topic.
const listeners = new Map();
let seq = 0;
const stats = { subscriptions: 0, opened: 0, published: 0, headers: {} };

function ticks(topic) {
  const queue = [];
  let wake = null;
  let done = false;
  const listener = (tick) => {
    queue.push(tick);
    if (wake) wake();
  };
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(listener);
  stats.subscriptions += 1;
  stats.opened += 1;
  const finish = () => {
    if (done) return;
    done = true;
    listeners.get(topic)?.delete(listener);
    stats.subscriptions -= 1;
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (!queue.length && !done) await new Promise((resolve) => (wake = resolve));
      wake = null;
      if (done) return { value: undefined, done: true };
      return { value: { ticks: queue.shift() }, done: false };
    },
    async return() {
      finish();
      if (wake) wake();
      return { value: undefined, done: true };
    },
  };
}

const schema = buildSubgraphSchema({
  typeDefs: parse(readFileSync(join(here, "ticks", "ticks.graphql"), "utf8")),
  resolvers: {
    Query: { lastTick: (_, { topic }) => ({ topic, seq, sentAt: 0, pad: "" }) },
    Subscription: { ticks: { subscribe: (_, { topic }) => ticks(topic) } },
    Tick: { __resolveReference: (ref) => ({ ...ref, sentAt: 0, pad: "" }) },
  },
});

function publish(pad = "") {
  const sentAt = Date.now();
  seq += 1;
  for (const [topic, set] of listeners) {
    if (!set.size) continue;
    const tick = { topic, seq, sentAt, pad };
    for (const listener of set) listener(tick);
    stats.published += 1;
  }
}

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", async () => {
    const send = (status, body) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url, "http://ticks");
    if (url.pathname === "/publish" && request.method === "POST") {
      const pad = "x".repeat(Number(url.searchParams.get("pad") ?? 0));
      for (let n = Number(url.searchParams.get("count") ?? 1); n > 0; n--) publish(pad);
      return send(200, { ...stats, seq });
    }
    if (request.url === "/stats" || request.url === "/health") return send(200, { ...stats, seq });
    if (request.method !== "POST") return send(405, { errors: [{ message: "POST only" }] });
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      return send(400, { errors: [{ message: "body is not JSON" }] });
    }
    const result = await graphql({
      schema,
      source: body.query,
      variableValues: body.variables,
      operationName: body.operationName,
    });
    send(200, result);
  });
});
const wss = new WebSocketServer({ server });
wss.on("connection", (_socket, request) => {
  stats.headers = request.headers;
});
useServer({ schema }, wss);
server.listen(Number(values.port), values.host, () => {
  console.log(`ticks subgraph on ${values.host}:${values.port}`);
});
