"""Live cross-check of our composer against @theguild/federation-composition run by Node."""
