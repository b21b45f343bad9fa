"""``python -m benchmarks [--quick|--smoke] [--only CASE,...] --json PATH [--check BASELINE]``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from benchmarks import env
from benchmarks.check import compare
from benchmarks.config import MODES
from benchmarks.report import console_table
from benchmarks.results import Results

CASES = (
    "int64_map", "utf8_lower", "filter", "crossing", "parallel", "load", "memory", "sweep",
    "component",
)  # fmt: skip


OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="CI size: under 2 minutes on 2 cores")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes: checks the machinery only")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--check", type=Path, metavar="BASELINE",
                   help="fail (exit 1) if a ratio is more than 30%% below this baseline JSON")  # fmt: skip
    p.add_argument("--only", help=f"comma-separated cases to run (of {', '.join(CASES)})")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    sizes = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    cases = args.only.split(",") if args.only else list(CASES)
    unknown = set(cases) - set(CASES)
    if unknown:
        print(f"unknown case(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = Results(env=env.collect(sizes.mode, argv))
    # Some machines set these for OpenBLAS; numpy's import can then mis-detect the core. Only this
    # process and its children lose them (before any case imports numpy); env records the values.
    unset = {k: os.environ.pop(k) for k in OPENBLAS_OVERRIDES if k in os.environ}
    if unset:
        results.env["openblas_env_unset"] = unset
    started = time.perf_counter()
    failed = []
    for case in cases:
        t0 = time.perf_counter()
        print(f"[{time.perf_counter() - started:6.1f}s] {case} ...", file=sys.stderr, flush=True)
        try:
            importlib.import_module(f"benchmarks.case_{case}").run(sizes, results)
        except Exception as exc:  # one broken case must not hide the others' numbers
            traceback.print_exc()
            failed.append(case)
            results.skipped[f"case:{case}"] = f"error: {type(exc).__name__}: {exc}"
        results.details.setdefault("case_seconds", {})[case] = round(time.perf_counter() - t0, 1)
    results.env["load_average_end"] = env.load_average()
    results.env["seconds"] = round(time.perf_counter() - started, 1)
    print(console_table(results))
    if args.json:
        results.write(args.json)
        print(f"wrote {args.json}", file=sys.stderr)
    status = 1 if failed else 0
    if args.check:
        lines = compare(results, Results.read(args.check))
        print("\n".join(["", f"check against {args.check}:", *lines]))
        if any(line.startswith("FAIL") for line in lines):
            status = 1
    return status
