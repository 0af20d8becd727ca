"""What the tests share: one module per concern, imported as ``tests.support.<module>``.

- `eventually`: poll a condition until it holds (the one way to wait for something).
- `keys`: test key pairs and tokens for the kit's verifier (`TestKeys`) and the router's
  JWKS/token endpoints (`SigningKey`, `JwksServer`, `TokenServer`).
- `subgraph_server`: the fake federated subgraph server (`SubgraphServer`) on a free port.
- `databases`: fixture factories for a service's database, its SQL connection and NATS.
- the rest: harnesses of one area each (router, security, telemetry, services).

Tests import these absolutely (``from tests.support.eventually import eventually``); pytest
runs with ``--import-mode=importlib`` (pyproject.toml), so no test directory is put on
``sys.path`` and test file names need not be unique.
"""
