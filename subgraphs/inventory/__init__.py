"""The inventory subgraph: stock per product, reservations per order, the stock saga step."""
