// An external coprocessor for Apollo Router, written the way Apollo's documentation describes
// the protocol (plain node:http, no packages): it answers each stage's POST with the same JSON
// object, modified. The test picks a scenario (POST /__scenario) and reads what the router sent
// (GET /__received). Usage: node coprocessor.mjs [port]; prints {"port": N} once listening.
import http from "node:http";

let scenario = "modify";
let received = [];

function readJson(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      } catch (error) {
        reject(error);
      }
    });
    request.on("error", reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function addHeader(payload, name, value) {
  payload.headers = payload.headers || {};
  payload.headers[name] = [value];
}

function addContext(payload, key, value) {
  payload.context = payload.context || { entries: {} };
  payload.context.entries[key] = value;
}

// "modify": change something at every stage, as the documented examples do.
function modify(payload) {
  switch (payload.stage) {
    case "RouterRequest":
      addHeader(payload, "x-coprocessor-router", "seen");
      addContext(payload, "example::router_request", payload.method + " " + payload.path);
      break;
    case "SupergraphRequest":
      payload.body.variables = { ...(payload.body.variables || {}), first: 1 };
      addContext(payload, "example::operation", payload.body.operationName || null);
      break;
    case "ExecutionRequest":
      addHeader(payload, "x-coprocessor-execution", payload.queryPlan ? "planned" : "no-plan");
      break;
    case "SubgraphRequest":
      addHeader(payload, "x-coprocessor-subgraph", payload.serviceName);
      break;
    case "SubgraphResponse": {
      const products = payload.body && payload.body.data && payload.body.data.topProducts;
      if (products) for (const product of products) product.name += " (coprocessed)";
      break;
    }
    case "SupergraphResponse":
      payload.body.extensions = { context: payload.context.entries };
      addHeader(payload, "x-coprocessor-supergraph", String(payload.statusCode));
      break;
    case "RouterResponse":
      addHeader(payload, "x-coprocessor-router-response", "done");
      break;
  }
  return payload;
}

async function answer(payload) {
  switch (scenario) {
    case "modify":
      return [200, modify(payload)];
    case "deny-router":
      if (payload.stage === "RouterRequest") {
        return [200, {
          version: 1,
          stage: payload.stage,
          control: { break: 401 },
          id: payload.id,
          headers: { "www-authenticate": ["Bearer realm=\"polyshop\""] },
          body: JSON.stringify({
            errors: [{ message: "Not authenticated.", extensions: { code: "ERR_UNAUTHENTICATED" } }],
          }),
        }];
      }
      return [200, payload];
    case "deny-supergraph":
      if (payload.stage === "SupergraphRequest") {
        return [200, {
          ...payload,
          control: { break: 403 },
          body: { errors: [{ message: "Tenant blocked.", extensions: { code: "TENANT_BLOCKED" } }] },
        }];
      }
      return [200, payload];
    case "answer-supergraph":
      if (payload.stage === "SupergraphRequest") {
        return [200, { ...payload, control: { break: 200 }, body: { data: { topProducts: [] } } }];
      }
      return [200, payload];
    case "string-break":
      if (payload.stage === "SupergraphRequest") {
        return [200, { ...payload, control: { break: 418 }, body: "I'm a teapot" }];
      }
      return [200, payload];
    case "slow":
      await sleep(2000);
      return [200, payload];
    case "bad-version":
      return [200, { ...payload, version: 2 }];
    case "http-500":
      return [500, { error: "coprocessor crashed" }];
    default:
      return [200, { version: 1, control: "continue" }];
  }
}

const server = http.createServer(async (request, response) => {
  const send = (status, value) => {
    const body = JSON.stringify(value);
    response.writeHead(status, { "content-type": "application/json" });
    response.end(body);
  };
  try {
    if (request.method === "GET" && request.url === "/__received") return send(200, received);
    const payload = await readJson(request);
    if (request.url === "/__scenario") {
      scenario = payload.scenario;
      received = [];
      return send(200, { scenario });
    }
    received.push(JSON.parse(JSON.stringify(payload)));
    const [status, result] = await answer(payload);
    send(status, result);
  } catch (error) {
    send(400, { error: String(error) });
  }
});

server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
