#!/usr/bin/env bash
# Vendor GraphiQL and React into this folder so the router serves GraphiQL without a CDN.
# Run from anywhere: `router/http/static/fetch_assets.sh`. Needs `npm` (registry access) once;
# the files it writes are committed and ship with the Python package.
set -euo pipefail

GRAPHIQL_VERSION=3.9.0   # last GraphiQL line with a UMD build (4.x deprecates it, 5.x is ESM-only)
REACT_VERSION=18.3.1     # last React line with UMD builds; GraphiQL 3 supports React 16.8-18

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" \
    "react-dom@${REACT_VERSION}" >/dev/null
for tarball in *.tgz; do
    mkdir "${tarball%.tgz}"
    tar -xzf "$tarball" -C "${tarball%.tgz}"
done

cp "graphiql-${GRAPHIQL_VERSION}/package/graphiql.min.js" "$here/graphiql.min.js"
cp "graphiql-${GRAPHIQL_VERSION}/package/graphiql.min.css" "$here/graphiql.min.css"
cp "react-${REACT_VERSION}/package/umd/react.production.min.js" "$here/react.production.min.js"
cp "react-dom-${REACT_VERSION}/package/umd/react-dom.production.min.js" \
    "$here/react-dom.production.min.js"
cp "graphiql-${GRAPHIQL_VERSION}/package/LICENSE" "$here/LICENSE.graphiql.txt"
cp "react-${REACT_VERSION}/package/LICENSE" "$here/LICENSE.react.txt"

# The source maps point at files we do not ship; browsers would request them in vain.
sed -i '/^\/\/# sourceMappingURL=/d' "$here"/*.min.js "$here"/*.min.css

cd "$here"
sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
