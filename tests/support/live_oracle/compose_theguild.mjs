// Composes many subgraph sets with @theguild/federation-composition in one Node process.
//
// Usage:  node compose_theguild.mjs <dir-with-node_modules> < cases.json
//   stdin:  [{name, subgraphs: [{name, url, sdl}]}, ...]
//   stdout: [{name, supergraph: "<sdl>"} | {name, errors: [{code, message}]}, ...]
//
// The composer and `graphql` are both loaded from <dir>/node_modules (tests/router/fixtures,
// pinned by its package-lock.json) with one `require`, so they share a single graphql-js
// instance. Driven by ../test_compose_live_oracle.py.
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const packageDir = resolve(process.argv[2] ?? ".");
const require = createRequire(join(packageDir, "package.json"));
const { parse } = require("graphql");
const { composeServices, compositionHasErrors } = require("@theguild/federation-composition");

function composeCase({ name, subgraphs }) {
  let services;
  try {
    services = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
  } catch (error) {
    // Apollo's code for an SDL that does not parse; the composer never sees such a subgraph.
    return { name, errors: [{ code: "INVALID_GRAPHQL", message: String(error.message ?? error) }] };
  }
  try {
    const result = composeServices(services);
    if (compositionHasErrors(result)) {
      const errors = result.errors.map((e) => ({
        code: e.extensions?.code ?? null,
        message: e.message,
      }));
      return { name, errors };
    }
    return { name, supergraph: result.supergraphSdl };
  } catch (error) {
    return { name, crashed: String(error.stack ?? error) };
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
process.stdout.write(JSON.stringify(cases.map(composeCase)));
