"""The analytics subgraph: every event kept raw, exact daily/monthly sales and best sellers."""
