"""DataFlare performance suite: dataflare plugins against the tools users would otherwise use.

Run ``python -m benchmarks [--quick|--smoke] --json PATH [--check benchmarks/baseline.json]``.
Ratios (higher is better) come from runs interleaved in one process; figures are medians of several
repetitions after a warm-up. See ``docs/performance.md``.
"""
