// Subgraph requests of Hive's Rust query planner (@graphql-hive/router-query-planner) for many
// (supergraph, operation) cases: the differential oracle of tests/router/planning.
// Reads a JSON array [{id, supergraph, query, operationName, labels}] on stdin; prints
// [{id, requests}] or [{id, error}] (a Fetch or a BatchFetch node is one request).
import { readFileSync } from "node:fs";
import { QueryPlanner } from "@graphql-hive/router-query-planner";

function countRequests(node) {
  if (!node || typeof node !== "object") return 0;
  if (node.kind === "Fetch" || node.kind === "BatchFetch") return 1;
  let total = 0;
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) total += countRequests(item);
    else if (value && typeof value === "object") total += countRequests(value);
  }
  return total;
}

const cases = JSON.parse(readFileSync(0, "utf8"));
const planners = new Map();
const results = [];
for (const item of cases) {
  try {
    if (!planners.has(item.supergraph)) {
      planners.set(item.supergraph, new QueryPlanner(readFileSync(item.supergraph, "utf8")));
    }
    const plan = planners
      .get(item.supergraph)
      .plan(item.query, item.operationName ?? null, new Set(item.labels ?? []), 0);
    results.push({ id: item.id, requests: countRequests(plan.node ?? plan) });
  } catch (error) {
    results.push({ id: item.id, error: String(error).slice(0, 300) });
  }
}
process.stdout.write(JSON.stringify(results));
