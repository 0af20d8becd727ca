"""What the tests share: one module per concern, imported as ``tests.support.<module>``.

- `eventually`: poll a condition until it holds (the one way to wait for something).
- `keys`: `TestKeys`, a key pair (ES256 or RS256), its tokens and the `KeySource` of the kit's
  verifier (the router's JWKS and token endpoints that publish them are in `router_security`).
- `subgraph_server`: the one fake federated subgraph (`SubgraphSpec` served by
  `SubgraphServer`, several at once by `SubgraphCluster`) used by the executor, HTTP and
  scenario tests; `sample_subgraph` is the HTTP tests' products/reviews pair.
- `databases`: `sql_connection` and `nats_client`, what the ``sql``/``nc`` fixtures yield.
- the rest: harnesses of one area each (`router_harness`, `telemetry_harness`, `orders`,
  `payments`, `notifications`, `analytics`, `auth_service`, `events`, ...).

Tests import these absolutely (``from tests.support.eventually import eventually``); pytest
runs with ``--import-mode=importlib`` (pyproject.toml), so no test directory is put on
``sys.path`` and test file names need not be unique.
"""
