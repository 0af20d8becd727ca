// Composes the benchmark subgraphs (subgraphs/*.graphql) into one supergraph for every router.
// Usage: node compose.mjs BASE_URL OUT_FILE   (subgraph NAME is routed to BASE_URL/NAME)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";

const here = dirname(fileURLToPath(import.meta.url));
const [baseUrl, out] = process.argv.slice(2);
if (!baseUrl || !out) {
  console.error("usage: node compose.mjs BASE_URL OUT_FILE");
  process.exit(2);
}
const names = ["accounts", "inventory", "products", "reviews"];
const result = composeServices(
  names.map((name) => ({
    name,
    typeDefs: parse(readFileSync(join(here, "subgraphs", `${name}.graphql`), "utf8")),
    url: `${baseUrl.replace(/\/$/, "")}/${name}`,
  })),
);
if (compositionHasErrors(result)) {
  console.error(result.errors.map((e) => `- ${e.message}`).join("\n"));
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
