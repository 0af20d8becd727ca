// The four benchmark subgraphs in one Node process, one path each: POST /accounts, /inventory,
// /products, /reviews. They must never be the bottleneck, so every distinct request body is
// executed once with graphql-js (real federation subgraph schemas from @apollo/subgraph) and the
// serialized answer is kept: repeated bodies get the same bytes back without any GraphQL work.
//
// Usage: node subgraphs/server.mjs --port N [--host 127.0.0.1] [--workers 2]
// With several workers (Node cluster: the primary accepts, workers serve), the bench endpoints
// are answered by the primary's state over IPC, so they hold for all workers together.
// Bench endpoints: GET /health, GET /__bench/stats, POST /__bench/record (start recording the
// requests received), GET /__bench/recorded (the recorded [{subgraph, body}] and stop).
import cluster from "node:cluster";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { graphql, parse } from "graphql";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { resolvers } from "./resolvers.mjs";

export const SUBGRAPHS = ["accounts", "inventory", "products", "reviews"];
const here = dirname(fileURLToPath(import.meta.url));
const CACHE_LIMIT = 10_000;
const RECORD_LIMIT = 1_000;

const schemas = new Map(
  SUBGRAPHS.map((name) => {
    const typeDefs = parse(readFileSync(join(here, `${name}.graphql`), "utf8"));
    return [name, buildSubgraphSchema({ typeDefs, resolvers: resolvers[name] })];
  }),
);

const cache = new Map();
const stats = { hits: 0, misses: 0, requests: 0 };
let recording = false;

// Control state lives in the primary; workers reach it with request/reply messages.
const pending = new Map();
let nextRequest = 0;
function control(message) {
  return new Promise((resolve) => {
    const id = nextRequest++;
    pending.set(id, resolve);
    process.send({ ...message, id });
  });
}

async function execute(name, text) {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return { status: 400, body: Buffer.from('{"errors":[{"message":"body is not JSON"}]}') };
  }
  const result = await graphql({
    schema: schemas.get(name),
    source: request.query,
    variableValues: request.variables,
    operationName: request.operationName,
  });
  return { status: 200, body: Buffer.from(JSON.stringify(result)) };
}

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}

async function graphqlRequest(name, text, res) {
  stats.requests += 1;
  if (recording) {
    process.send({ type: "item", item: { subgraph: name, body: text } });
  }
  const key = `${name}\n${text}`;
  let answer = cache.get(key);
  if (answer === undefined) {
    stats.misses += 1;
    answer = await execute(name, text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, answer);
  } else {
    stats.hits += 1;
  }
  send(res, answer.status, answer.body);
}

function handle(req, res) {
  const name = req.url.slice(1).split("?")[0];
  if (req.method === "GET") {
    if (name === "health") return send(res, 200, Buffer.from('{"status":"UP"}'));
    if (name === "__bench/stats" || name === "__bench/recorded") {
      control({ type: "control", action: name.slice("__bench/".length) }).then((answer) =>
        send(res, 200, Buffer.from(JSON.stringify(answer))),
      );
      return;
    }
    return send(res, 404, Buffer.from('{"errors":[{"message":"not found"}]}'));
  }
  if (req.method === "POST" && name === "__bench/record") {
    req.resume();
    control({ type: "control", action: "record" }).then(() => send(res, 200, Buffer.from("{}")));
    return;
  }
  if (req.method !== "POST" || !schemas.has(name)) {
    req.resume();
    return send(res, 404, Buffer.from('{"errors":[{"message":"not found"}]}'));
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    graphqlRequest(name, Buffer.concat(chunks).toString("utf8"), res).catch((error) => {
      send(res, 500, Buffer.from(JSON.stringify({ errors: [{ message: String(error) }] })));
    });
  });
}

function worker(values) {
  process.on("message", (message) => {
    if (message.type === "set-recording") {
      recording = message.on;
      process.send({ type: "ack", id: message.id });
    } else if (message.type === "stats?") {
      process.send({ type: "stats", id: message.id, stats });
    } else if (message.type === "reply") {
      pending.get(message.id)?.(message.answer);
      pending.delete(message.id);
    }
  });
  const server = createServer({ keepAliveTimeout: 60_000 }, handle);
  server.listen(Number(values.port ?? 4200), values.host);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => process.exit(0));
  }
}

// The primary: recorded requests, summed stats, recording switched on all workers at once.
function primary(values) {
  const workers = [];
  let recorded = [];
  let nextId = 0;
  const waiting = new Map();
  const ask = (w, message) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      w.send({ ...message, id });
    });
  const everyone = (message) => Promise.all(workers.map((w) => ask(w, message)));
  const answers = {
    record: async () => {
      recorded = [];
      await everyone({ type: "set-recording", on: true });
      return {};
    },
    recorded: async () => {
      await everyone({ type: "set-recording", on: false });
      const items = recorded;
      recorded = [];
      return items;
    },
    stats: async () => {
      const all = await everyone({ type: "stats?" });
      const sum = { hits: 0, misses: 0, requests: 0, workers: workers.length };
      for (const s of all) for (const key of ["hits", "misses", "requests"]) sum[key] += s[key];
      return sum;
    },
  };
  let listening = 0;
  for (let i = 0; i < Number(values.workers); i++) {
    const w = cluster.fork();
    workers.push(w);
    w.on("listening", () => {
      listening += 1;
      if (listening === workers.length) {
        const where = `http://${values.host}:${values.port}`;
        console.log(`benchmark subgraphs on ${where}/{${SUBGRAPHS.join(",")}}, ${listening} workers`);
      }
    });
    w.on("message", (message) => {
      if (message.type === "item") {
        if (recorded.length < RECORD_LIMIT) recorded.push(message.item);
      } else if (message.type === "ack" || message.type === "stats") {
        waiting.get(message.id)?.(message.stats ?? null);
        waiting.delete(message.id);
      } else if (message.type === "control" && answers[message.action]) {
        answers[message.action]().then((answer) =>
          w.send({ type: "reply", id: message.id, answer }),
        );
      }
    });
  }
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      for (const w of workers) w.process.kill("SIGTERM");
      process.exit(0);
    });
  }
}

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4200" },
    host: { type: "string", default: "127.0.0.1" },
    workers: { type: "string", default: "2" },
  },
});
if (cluster.isPrimary) primary(values);
else worker(values);
