"""Example Dagster code locations using DataFlare WASM plugins (see ../README.md).

- ``dataflare_example.orders``: in-memory tables through the IO manager, a dead-letter multi-asset,
  a stateful aggregation and a files -> files chain.
- ``dataflare_example.daily``: daily partitions, files -> files (resumable on retry).
"""
