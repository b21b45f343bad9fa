"""DataFlare hooks."""
