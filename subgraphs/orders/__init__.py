"""The orders subgraph: orders and their items, the checkout saga's state (``order_db``)."""
