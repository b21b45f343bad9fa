"""Run one task of an existing DAG run through Airflow's real supervisor: a forked task process
sends its logs to the supervisor, which writes the task log file. The execution API is Airflow's
in-process one (as in ``dag.test()``), backed by the test sqlite DB.

    python _supervised_task.py DAG_ID TASK_ID LOG_PATH     (exit code: the task's)
"""

from __future__ import annotations

import sys
from uuid import UUID

dag_id, task_id, log_path = sys.argv[1:4]

from airflow.executors.workloads import BundleInfo  # noqa: E402
from airflow.models.taskinstance import TaskInstance  # noqa: E402
from airflow.sdk.api.datamodels._generated import TaskInstance as TaskInstanceSDK  # noqa: E402
from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor, supervise_task  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402
from airflow.utils.state import TaskInstanceState  # noqa: E402
from sqlalchemy import select  # noqa: E402

with create_session() as session:
    ti = session.scalars(
        select(TaskInstance)
        .where(TaskInstance.dag_id == dag_id, TaskInstance.task_id == task_id)
        .order_by(TaskInstance.start_date.desc())
    ).first()
    ti.try_number += 1
    ti.state = TaskInstanceState.QUEUED
    session.add(ti)
    session.flush()
    sdk_ti = TaskInstanceSDK(
        id=UUID(str(ti.id)),
        task_id=ti.task_id,
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        try_number=ti.try_number,
        map_index=ti.map_index,
        dag_version_id=UUID(str(ti.dag_version_id)),
    )
    rel = ti.dag_model.relative_fileloc
client = InProcessTestSupervisor._api_client()
code = supervise_task(
    ti=sdk_ti,
    bundle_info=BundleInfo(name="dags-folder"),
    dag_rel_path=rel,
    token="",
    client=client,
    log_path=log_path,
)
sys.exit(code)
