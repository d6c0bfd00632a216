"""Request builders and services, one module per API area (declarations only)."""
