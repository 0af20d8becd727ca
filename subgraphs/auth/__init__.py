"""The auth subgraph: accounts, roles, sessions, signing keys and the OAuth2 token endpoint."""
