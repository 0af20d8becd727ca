// Cold planning time of Hive's Rust query planner (@graphql-hive/router-query-planner), the
// reference bench/planning.py measures our planner against in the same run.
// Usage: node planner_time.mjs SUPERGRAPH_FILE REPEATS QUERY_FILE...
// Prints one JSON object: {"<query file>": {"ms": [...], "requests": N}}. A new QueryPlanner is
// built (untimed) before every timed plan() so no plan cache can answer.
import { readFileSync } from "node:fs";
import { QueryPlanner } from "@graphql-hive/router-query-planner";

const [supergraphFile, repeatsText, ...queryFiles] = process.argv.slice(2);
const sdl = readFileSync(supergraphFile, "utf8");
const repeats = Number(repeatsText);

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

const result = {};
for (const file of queryFiles) {
  const query = readFileSync(file, "utf8");
  const ms = [];
  let requests = 0;
  for (let i = 0; i < repeats; i++) {
    const planner = new QueryPlanner(sdl);
    const start = process.hrtime.bigint();
    const plan = planner.plan(query, null, new Set(), 0);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    requests = countRequests(plan.node ?? plan);
  }
  result[file] = { ms, requests };
}
process.stdout.write(JSON.stringify(result));
