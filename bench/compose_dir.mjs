// Composes every <name>.graphql of a folder into one supergraph (used for the generated
// supergraphs of bench/planning.py, and bench/subscriptions.py's ticks subgraph).
// Usage: node compose_dir.mjs FOLDER OUT_FILE [BASE_URL]   (NAME is routed to BASE_URL/NAME)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";

const [folder, out, baseUrl] = process.argv.slice(2);
const names = readdirSync(folder).filter((f) => f.endsWith(".graphql")).sort();
const result = composeServices(
  names.map((file) => ({
    name: file.slice(0, -".graphql".length),
    typeDefs: parse(readFileSync(join(folder, file), "utf8")),
    url: baseUrl
      ? `${baseUrl.replace(/\/$/, "")}/${file.slice(0, -".graphql".length)}`
      : `http://${file.slice(0, -".graphql".length)}.invalid/graphql`,
  })),
);
if (compositionHasErrors(result)) {
  console.error(result.errors.map((e) => `- ${e.message}`).join("\n"));
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
