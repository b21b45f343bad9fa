"""DataFlare operators."""
