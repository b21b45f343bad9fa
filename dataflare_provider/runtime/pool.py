"""Run a plugin over a stream of batches on N threads, one instance per thread, in order.

ctypes releases the GIL while guest code runs (and during ``memmove``), so N instances give real
multi-core throughput. Results come back in input order; at most ``2 * workers`` batches are in
flight, so memory stays bounded however long the stream is. Stateful plugins (those exporting
``dataflare_finish``) always run on one instance: their state cannot be split.
"""

from __future__ import annotations

import logging
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pyarrow as pa

from dataflare_provider.runtime.limits import Limits
from dataflare_provider.runtime.metrics import PluginMetrics
from dataflare_provider.runtime.plugin import Plugin, PluginInstance, ProcessResult

log = logging.getLogger("dataflare_provider.runtime")

W = TypeVar("W")
T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    workers: list[W],
    fn: Callable[[W, T], R],
    items: Iterable[T],
    *,
    name: str = "dataflare",
    threaded: bool = False,
) -> Iterator[R]:
    """``fn(worker, item)`` for every item, each worker used by one thread at a time.

    Results are yielded in input order; at most ``2 * len(workers)`` items are in flight. One
    worker runs inline unless ``threaded``: keeping guest code off the calling thread lets that
    thread handle signals (Airflow's SIGTERM -> ``on_kill``) while a batch runs.
    """
    if len(workers) == 1 and not threaded:
        (worker,) = workers
        for item in items:
            yield fn(worker, item)
        return
    free: queue.SimpleQueue[W] = queue.SimpleQueue()
    for w in workers:
        free.put(w)

    def run(item: T) -> R:
        w = free.get()
        try:
            return fn(w, item)
        finally:
            free.put(w)

    window: deque[Future[R]] = deque()
    failure: Exception | None = None
    with ThreadPoolExecutor(len(workers), thread_name_prefix=name) as ex:
        try:
            source = iter(items)
            while True:
                try:
                    item = next(source)
                except StopIteration:
                    break
                except Exception as exc:  # the input failed: what is in flight still comes out
                    failure = exc
                    break
                window.append(ex.submit(run, item))
                if len(window) >= 2 * len(workers):
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for fut in window:
                fut.cancel()
    if failure is not None:
        raise failure


class InstancePool:
    """``workers`` instances of one plugin sharing the work of one stream."""

    def __init__(
        self,
        plugin: Plugin,
        config: Mapping[str, Any] | None = None,
        *,
        workers: int = 1,
        limits: Limits | dict[str, Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if plugin.stateful and workers > 1:
            (logger or log).warning(
                "plugin %s is stateful (exports dataflare_finish): running 1 instance, not %d",
                plugin.name, workers,
            )  # fmt: skip
            workers = 1
        self.plugin = plugin
        self.workers = workers
        self.instances: list[PluginInstance] = []
        try:
            for _ in range(workers):
                self.instances.append(plugin.instantiate(config, limits=limits, logger=logger))
        except BaseException:
            self.close()
            raise

    def map(self, batches: Iterable[pa.RecordBatch]) -> Iterator[ProcessResult]:
        """Process ``batches``; yields one result per input batch, in input order."""
        return ordered_map(
            self.instances, PluginInstance.process, batches, name=f"dataflare-{self.plugin.name}"
        )

    def finish(self) -> list[ProcessResult]:
        """End of stream on every instance; the non-empty results."""
        results = [inst.finish() for inst in self.instances]
        return [r for r in results if r.output is not None or r.dead_letter is not None]

    def interrupt(self) -> None:
        """Interrupt every instance's running call (thread-safe)."""
        for inst in self.instances:
            inst.interrupt()

    @property
    def metrics(self) -> PluginMetrics:
        """Metrics merged over the instances."""
        merged = PluginMetrics(self.plugin.name, load_source=self.plugin.load_source)
        for inst in self.instances:
            inst.metrics.memory_usage_bytes = max(
                inst.metrics.memory_usage_bytes, inst.mem.high_water
            )
            merged.merge(inst.metrics)
        return merged

    def close(self) -> None:
        for inst in self.instances:
            inst.close()

    def __enter__(self) -> InstancePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
