"""What the tests share: one module per concern, imported as ``tests.support.<module>``.

- `eventually`: poll a condition until it holds (the one way to wait for something).
- `keys`: `TestKeys`, a key pair, its tokens and the `KeySource` of the kit's verifier
  (the router's JWKS and token endpoints with their `SigningKey` are in `router_security`).
- `subgraph_server`: the HTTP tests' fake federated subgraph (`SubgraphServer`) on a free port;
  `executor_subgraphs` (executor tests) and the scenario suite's
  `tests/router/scenarios/subgraph_kit.py` are the other two, not merged yet.
- `databases`: `sql_connection` and `nats_client`, what the ``sql``/``nc`` fixtures yield.
- the rest: harnesses of one area each (`router_harness`, `telemetry_harness`, `orders`,
  `payments`, `notifications`, `analytics`, `auth_service`, `events`, ...).

Tests import these absolutely (``from tests.support.eventually import eventually``); pytest
runs with ``--import-mode=importlib`` (pyproject.toml), so no test directory is put on
``sys.path`` and test file names need not be unique.
"""
