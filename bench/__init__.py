"""Router benchmark: PolyShop's router against Apollo Gateway and Hive Gateway.

``python -m bench`` (see ``bench/README.md``) installs the peers, starts the benchmark
subgraphs, runs every router on one supergraph under the same wrk load and prints a table.
The modules are small on purpose: `procstat` reads /proc, `load` drives wrk, `servers` starts
and stops processes, `routers` knows how to launch each router, `table` formats the results.
"""
