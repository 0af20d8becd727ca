"""The payments subgraph: ``payOrder`` through a card provider, and ``Order.payment``."""
