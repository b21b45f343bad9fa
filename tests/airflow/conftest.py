"""Airflow test setup: a temporary AIRFLOW_HOME with a sqlite metadata DB and the repo's dags/.

Airflow reads its configuration when it is first imported, so the environment is set here, at
import time of this conftest (before any test module imports airflow).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"

if "airflow" in sys.modules:  # pragma: no cover - would silently use the wrong AIRFLOW_HOME
    raise RuntimeError("airflow was imported before tests/airflow/conftest.py set AIRFLOW_HOME")

_TMP = Path(tempfile.mkdtemp(prefix="dataflare-airflow-tests-"))
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(_TMP / "airflow-home"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_TMP / 'airflow-home' / 'airflow.db'}",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "DATAFLARE_EXAMPLES_DIR": str(_TMP / "examples"),
}
os.environ.update(AIRFLOW_ENV)
(_TMP / "airflow-home").mkdir()

if importlib.util.find_spec("airflow") is None:  # the [airflow] extra is not installed
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session", autouse=True)
def _cleanup_airflow_tmp() -> Iterator[None]:
    yield
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return Path(AIRFLOW_ENV["AIRFLOW_HOME"])


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return Path(AIRFLOW_ENV["DATAFLARE_EXAMPLES_DIR"])


@pytest.fixture(scope="session")
def airflow_db(airflow_home: Path) -> None:
    """Create the sqlite metadata DB (what ``airflow db migrate`` does, in-process)."""
    from airflow.utils import db

    db.initdb()


class StatsRecorder:
    """A Stats backend that keeps what it is sent (Airflow's factory hook, like statsd's)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any, dict[str, Any]]] = []

    def _add(self, kind: str, stat: str, value: Any, tags: dict[str, Any] | None) -> None:
        self.calls.append((kind, stat, value, dict(tags or {})))

    def incr(self, stat: str, count: int = 1, rate: float = 1, *, tags: Any = None) -> None:
        self._add("incr", stat, count, tags)

    def decr(self, stat: str, count: int = 1, rate: float = 1, *, tags: Any = None) -> None:
        self._add("decr", stat, -count, tags)

    def gauge(self, stat: str, value: float, rate: float = 1, delta: bool = False, *,
              tags: Any = None) -> None:  # fmt: skip
        self._add("gauge", stat, value, tags)

    def timing(self, stat: str, dt: Any, *, tags: Any = None) -> None:
        self._add("timing", stat, dt, tags)

    def timer(self, *args: Any, **kwargs: Any) -> Any:
        from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger

        return NoStatsLogger().timer(*args, **kwargs)

    def total(self, stat: str, **tags: Any) -> float:
        return sum(
            v
            for kind, s, v, t in self.calls
            if s == stat and kind == "incr" and all(t.get(k) == x for k, x in tags.items())
        )


@pytest.fixture(scope="session")
def stats() -> StatsRecorder:
    """Airflow Stats go to this recorder for the whole session (tasks run in-process)."""
    from airflow.sdk.observability import stats as af_stats

    recorder = StatsRecorder()
    af_stats.initialize(factory=lambda: recorder, export_legacy_names=False)  # type: ignore[arg-type, return-value]
    return recorder


@pytest.fixture(scope="session")
def dag_bag(airflow_db: None, published_examples: dict[str, str]) -> Any:
    """The repo's dags/, parsed like the DAG processor does (bundle path on sys.path)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors
    return bag


def register_dag(dag: Any) -> None:
    """Serialize a DAG defined in a test (not in a bundle) so ``dag.test()`` can run it."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=str(_TMP), collect_dags=False)
    bag.dags[dag.dag_id] = dag
    sync_bag_to_db(bag, "dags-folder", None)


@pytest.fixture(scope="session")
def run_dag(dag_bag: Any, stats: Any) -> Callable[..., Any]:
    """``run_dag(dag_or_id, **dag_test_kwargs)`` -> the finished DagRun (``dag.test()``)."""

    def run(dag: Any, **kwargs: Any) -> Any:
        if isinstance(dag, str):
            dag = dag_bag.dags[dag]
        elif dag.dag_id not in dag_bag.dags:
            register_dag(dag)
        return dag.test(**kwargs)

    return run
