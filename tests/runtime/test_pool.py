"""Parallel processing keeps order; stateful plugins run on one instance."""

from __future__ import annotations

import pyarrow as pa

from dataflare_provider.runtime import Plugin
from dataflare_provider.runtime.pool import InstancePool


def test_parallel_map_preserves_order(test_plugin) -> None:  # type: ignore[no-untyped-def]
    plugin = Plugin.from_file(test_plugin("echo"))
    batches = [pa.record_batch({"i": pa.array(range(k * 100, k * 100 + 100))}) for k in range(40)]
    with InstancePool(plugin, workers=2) as pool:
        outputs = [r.output for r in pool.map(iter(batches))]
        assert len(pool.instances) == 2
        metrics = pool.metrics
    assert all(o is not None and o.equals(b) for o, b in zip(outputs, batches, strict=True))
    assert metrics.batches == 40 and metrics.rows_in == 4000 and metrics.instances == 2
    per_instance = [inst.metrics.batches for inst in pool.instances]
    assert sum(per_instance) == 40


def test_stateful_plugin_uses_one_instance(test_plugin) -> None:  # type: ignore[no-untyped-def]
    plugin = Plugin.from_file(test_plugin("aggregate_state"))
    assert plugin.stateful
    batches = [pa.record_batch({"x": pa.array(range(n))}) for n in (3, 5, 0, 7)]
    with InstancePool(plugin, workers=4) as pool:
        assert pool.workers == 1
        assert all(r.output is None for r in pool.map(batches))
        (tail,) = pool.finish()
    assert tail.output is not None and tail.output.to_pydict() == {"rows": [15]}
