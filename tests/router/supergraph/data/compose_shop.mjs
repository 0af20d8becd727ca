// Regenerates shop.supergraph.graphql with the reference composer of tests/router/fixtures
// (run `npm ci` there first):  node tests/router/supergraph/data/compose_shop.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '../../fixtures/node_modules/@theguild/federation-composition/esm/index.js';
import { parse } from '../../fixtures/node_modules/graphql/index.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const names = ['accounts', 'products', 'inventory', 'reviews'];
const result = composeServices(
  names.map((name) => ({
    name,
    url: `http://${name}.invalid/graphql`,
    typeDefs: parse(readFileSync(join(here, 'shop', `${name}.graphql`), 'utf8')),
  })),
);
if (result.errors) {
  console.error(result.errors.map((e) => e.message).join('\n'));
  process.exit(1);
}
writeFileSync(join(here, 'shop.supergraph.graphql'), result.supergraphSdl + '\n');
