"""Human-readable output: the console table and the Markdown table of docs/performance.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.results import Results
from benchmarks.targets import TARGETS

UNITS = {
    "ms": "ms", "us": "µs", "kib": "KiB", "mb": "MB", "mb_s": "MB/s", "mrows_s": "M rows/s",
}  # fmt: skip


def _unit(key: str) -> str:
    for suffix in ("mb_s", "mrows_s", "kib", "ms", "us", "mb"):
        if key.endswith("_" + suffix) or f"_{suffix}_" in key:
            return UNITS[suffix]
    return ""


def rows(results: Results) -> list[tuple[str, str, str, str]]:
    """(key, value, target, met) for every ratio, figure and skipped key."""
    targets = {t.key: t for t in TARGETS}
    out = []
    for values, ratio in ((results.ratios, True), (results.figures, False)):
        for key, value in values.items():
            t = targets.get(key)
            unit = "x" if ratio else _unit(key)
            met = "" if t is None else ("met" if t.met(value) else "MISSED")
            text = f"{value:g} {unit}".strip()
            if ratio and key in results.cpu_ratios:
                text += f" (cpu {results.cpu_ratios[key]:g} x)"
            out.append((key, text, str(t) if t else "", met))
    for key, reason in results.skipped.items():
        out.append((key, "skipped", "", reason))
    return out


def console_table(results: Results) -> str:
    table = rows(results)
    w = [max(len(r[i]) for r in table) for i in range(3)]
    lines = [f"{'key':<{w[0]}}  {'value':>{w[1]}}  {'target':<{w[2]}}  status"]
    lines += [f"{k:<{w[0]}}  {v:>{w[1]}}  {t:<{w[2]}}  {m}" for k, v, t, m in table]
    env = results.env
    lines.append(
        f"\n{env.get('mode')} run on {env.get('cpu')} ({env.get('cpus_usable')} cpus), load average "
        f"{env.get('load_average_start')} -> {env.get('load_average_end')}, "
        f"{env.get('seconds', 0):.0f} s"
    )
    return "\n".join(lines)


def markdown_table(results: Results) -> str:
    lines = ["| key | value | target | |", "|---|---:|---|---|"]
    lines += [f"| `{k}` | {v} | {t} | {m} |" for k, v, t, m in rows(results)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the Markdown table of a results JSON.")
    parser.add_argument("json", type=Path)
    print(markdown_table(Results.read(parser.parse_args().json)))


if __name__ == "__main__":
    main()
