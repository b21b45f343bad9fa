"""``make demo``: the main job on the embedded defaults, on a fresh machine.

1. build the example plugins from source and publish them to the local registry;
2. run a plugin chain over a million generated rows from plain Python, printing the metrics;
3. run the example Airflow DAG ``dataflare_daily_partitions`` with ``dag.test()`` (sqlite);
4. materialize the example Dagster assets with ``dagster asset materialize``.

Everything lands under ``$DATAFLARE_HOME/demo`` (``make demo`` sets ``DATAFLARE_HOME=.dataflare``).
Steps 3 and 4 run in subprocesses with their own ``AIRFLOW_HOME``/``DAGSTER_HOME``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console

from dataflare_provider.examples import EXAMPLE_PLUGINS, ensure_example_plugins, example_reference
from dataflare_provider.pipeline import resolve_step, run_transform
from dataflare_provider.settings import dataflare_home

ROOT = Path(__file__).resolve().parents[1]
console = Console(highlight=False)

AIRFLOW_SCRIPT = """
import sys
from airflow.utils import db
from airflow.dag_processing.dagbag import BundleDagBag
db.initdb()
bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=sys.argv[1], bundle_name="dags-folder")
if bag.import_errors:
    raise SystemExit(f"DAG import errors: {bag.import_errors}")
run = bag.dags["dataflare_daily_partitions"].test()
print("DAG run state:", run.state)
raise SystemExit(0 if run.state == "success" else 1)
"""


def step(title: str) -> None:
    console.rule(f"[bold]{title}")


def sample_orders(path: Path, rows: int = 1_000_000) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        names = pa.array(
            ["Ada LOVELACE", "Grace Hopper", "ALAN Turing", "Barbara Liskov"] * (rows // 4)
        )
        amount = pa.array([None if i % 97 == 0 else float(i % 500) for i in range(rows)])
        table = pa.table(
            {"order_id": pa.array(range(rows), pa.int64()), "name": names, "amount": amount}
        )
        pq.write_table(table, path)
    return path


def plain_python(base: Path) -> None:
    src = sample_orders(base / "orders.parquet")
    steps = [
        resolve_step(
            example_reference("basic-transformer"),
            {
                "lowercase": ["name"],
                "derive": [{"name": "cents", "from": "amount", "multiply": 100}],
            },
        ),
        resolve_step(
            example_reference("row-filter"), {"column": "amount", "op": ">=", "value": 100}
        ),
    ]
    report = run_transform(
        steps,
        base / "clean" / "orders.parquet",
        src,
        dead_letter=base / "rejected.jsonl",
        workers=2,
    )
    console.print(report.format_table())


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> bool:
    console.print("$ " + " ".join(cmd), style="dim")
    return subprocess.run(cmd, env={**os.environ, **env}, cwd=cwd).returncode == 0


def airflow(base: Path) -> bool:
    if importlib.util.find_spec("airflow") is None:
        console.print("apache-airflow is not installed (pip install 'dataflare-provider[airflow]')")
        return True
    home = base / "airflow"
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "DATAFLARE_EXAMPLES_DIR": str(base / "airflow-data"),
        "PYTHONPATH": str(ROOT / "dags"),
    }
    home.mkdir(parents=True, exist_ok=True)
    ok = run([sys.executable, "-c", AIRFLOW_SCRIPT, str(ROOT / "dags")], env)
    for part in sorted((base / "airflow-data" / "daily" / "clean").glob("date=*/region=*")):
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in part.glob("part-*.parquet"))
        console.print(f"  {part.relative_to(base)}: {rows:,} rows")
    return ok


def dagster(base: Path) -> bool:
    if importlib.util.find_spec("dagster") is None:
        console.print("dagster is not installed (pip install 'dataflare-provider[dagster]')")
        return True
    home = base / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    env = {"DAGSTER_HOME": str(home), "DATAFLARE_EXAMPLE_DATA": str(base / "dagster-data")}
    exe = str(Path(sys.executable).with_name("dagster"))
    return run(
        [exe, "asset", "materialize", "--select", "*", "-m", "dataflare_example.orders"],
        env,
        cwd=ROOT / "examples" / "dagster",
    )


def main() -> int:
    started = time.perf_counter()
    base = dataflare_home() / "demo"
    step("1. example plugins -> local registry")
    for name, digest in ensure_example_plugins(EXAMPLE_PLUGINS).items():
        console.print(f"  {example_reference(name):40} {digest}")
    step("2. plain Python: basic-transformer -> row-filter over 1,000,000 rows")
    plain_python(base)
    step("3. Airflow: dag.test() of dataflare_daily_partitions")
    ok = airflow(base)
    step("4. Dagster: dagster asset materialize --select '*'")
    ok = dagster(base) and ok
    console.rule(f"demo {'finished' if ok else 'FAILED'} in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
