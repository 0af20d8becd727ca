"""The notifications subgraph: e-mail and SMS about orders and payments, with delivery logs."""
