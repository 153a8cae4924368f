"""cxr's hyper-parameter search fanned out over Airflow's workers: prepare -> plan -> trial x N -> select.

``plan`` (``cxr optimize --plan``) draws the search's candidates from its seed with Arbiter (the
same ones a local ``cxr optimize`` tries), opens the parent MLflow run and prints the trial
numbers as its last log line (the task's XCom). ``trial`` is mapped over them (``.expand``):
one trainer container per trial (``cxr optimize --trial N``), each a nested MLflow run under the
parent, pruned against the trials already completed; a trial whose worker dies is retried (on
another worker under the CeleryExecutor) and its dead attempt is ended FAILED by ``select``.
Trial containers mount none of the stack's volumes: each takes the plan, the prepared data (pushed
by ``plan`` to the parent run's artifacts, stored in the S3 bucket behind MLflow's proxy) and the
other trials' records from the MLflow server, as on a worker host that shares nothing else.
``prepare`` and ``plan`` share the data volume: on several hosts, route both to one host's queue.
``select`` (``cxr optimize --select``, run when every trial is done, whatever their outcome)
reads the trials back, each counted once, writes the best config and ends the parent run;
``refit`` retrains the best config on train + val and scores it on test.

Concurrency: at most ``CXR_HPO_TRIALS_AT_ONCE`` trials of a DAG run at once (default 2), each with
``CXR_HPO_TRIAL_THREADS`` threads (default 1), so that trials sharing a host do not fight over
its cores; Airflow's pools (``pool=``) and ``max_active_runs=1`` bound them across DAG runs.
Every step gets the same ``overrides`` (a step given others is refused: the plan is of another
search). Manual runs only: trigger with a JSON conf to change the params.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

from airflow.sdk import DAG, Param, task

# Airflow puts its DAGs folder on sys.path; a DagBag of another folder (the tests) does not
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from cxr_common import CxrTask as _CxrTask, shell_args, trainer_params

DAG_ID = "cxr_hpo"
TRIALS_AT_ONCE = int(os.environ.get("CXR_HPO_TRIALS_AT_ONCE", "2"))
TRIAL_THREADS = os.environ.get("CXR_HPO_TRIAL_THREADS", "1")


class CxrTask(_CxrTask):
    """A cxr command of this DAG."""

    def __init__(self, **kwargs):
        super().__init__(dag_id=DAG_ID, **kwargs)


def trial_commands(plan_line: str) -> list[str]:
    """The plan's last log line (``{"parent_run_id": ..., "trials": [1, 2, ...]}``) as one
    ``cxr optimize --trial N`` command per trial."""
    try:
        plan = json.loads(plan_line)
        numbers = [int(n) for n in plan["trials"]]
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(
            f"plan: expected its last log line to be the JSON of `cxr optimize --plan`, "
            f"got {plan_line!r} ({e})"
        ) from e
    if not numbers:
        raise ValueError("plan: no trials planned (hpo.trials=0, or an empty grid)")
    return [f"optimize --trial {n}" for n in numbers]


with DAG(
    dag_id=DAG_ID,
    description="Hyper-parameter search: plan, one container per trial (mapped), select",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["cxr", "hpo"],
    default_args={
        "owner": "cxr",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
    },
    user_defined_filters={"shell_args": shell_args},
    params={
        **trainer_params("every step (hpo.trials=..., ...)"),
        "refit": Param(False, type="boolean", description="select: refit the best on train+val"),
    },
    doc_md=__doc__,
) as dag:
    prepare = CxrTask(
        task_id="prepare",
        cxr_command="prepare --source {{ params.data_source | shell_args }}",
        execution_timeout=timedelta(hours=1),
    )
    plan = CxrTask(
        task_id="plan",
        cxr_command="optimize --plan --model {{ params.model_type }}",
        do_xcom_push=True,
        execution_timeout=timedelta(minutes=15),
    )

    @task(retries=0)
    def trials(plan_line: str) -> list[str]:
        return trial_commands(plan_line)

    trial = CxrTask.partial(
        task_id="trial",
        cxr_args="--model {{ params.model_type }}",
        threads=TRIAL_THREADS,
        # nothing shared but the tracking server: a trial runs alike on any worker host
        volumes=False,
        max_active_tis_per_dagrun=TRIALS_AT_ONCE,
        execution_timeout=timedelta(hours=3),
    ).expand(cxr_command=trials(plan.output))
    select = CxrTask(
        task_id="select",
        cxr_command="optimize --select --model {{ params.model_type }}"
        "{{ ' --refit' if params.refit else '' }}",
        # every trial's outcome counts, a failed one too: select runs once they are all done
        trigger_rule="all_done",
        execution_timeout=timedelta(hours=6),
    )
    prepare >> plan
    trial >> select
