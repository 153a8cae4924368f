"""cxr's weekly training pipeline: prepare -> train -> evaluate -> register.

Every task is a DockerOperator on the cxr trainer image (Dockerfile.gpu), so Airflow needs no
Java and the same image runs on a workstation, in CI and here. The tasks share named Docker
volumes (prepared data, models, the MLflow journal); the raw data is mounted read-only from the
host at /sources. Each DAG run trains into its own models folder, ``models/runs/<run>``, and
``register`` reads that folder's ``run.json`` (written by ``train``), so the MLflow run that is
registered is the one this DAG run trained, never a neighbour's.

``evaluate`` exits 1 when the quality gate fails: the task fails, the DAG run fails, and
``register`` does not run. ``register`` moves the ``champion`` alias only to a strictly better
model (cxr's own rule). Parameters (trigger with a JSON conf to change them):

- ``image``: the trainer image tag
- ``model_type``: ``cnn`` or ``dense``
- ``data_source``: the raw data inside the container (under /sources: a Kermany folder or an npz)
- ``overrides``: cxr ``section.key=value`` overrides given to every command
- ``gpu``: request every GPU of the host for the trainer containers (NVIDIA container toolkit)
- ``predict_source``: optional images under /sources; when set, the registered model labels them
  and writes ``models/runs/<run>/predictions.json`` (a smoke check, and what the end-to-end test
  compares with the workstation's probabilities)
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, Param

# Airflow puts its DAGs folder on sys.path; a DagBag of another folder (the tests) does not
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from cxr_common import (
    MODELS_DIR,
    SCHEDULE,
    CxrTask as _CxrTask,
    run_folder,
    shell_args,
    timetable,
    trainer_params,
)

DAG_ID = "cxr_training_pipeline"


class CxrTask(_CxrTask):
    """A cxr command of this DAG."""

    def __init__(self, **kwargs):
        super().__init__(dag_id=DAG_ID, **kwargs)


def wants_predictions_for(params, **_) -> bool:
    """Whether this run labels images after registering (``predict_source`` given)."""
    return bool(params.get("predict_source"))


with DAG(
    dag_id=DAG_ID,
    description="Weekly cxr training: prepare, train, evaluate (quality gate), register",
    schedule=timetable(SCHEDULE),
    catchup=False,
    max_active_runs=1,
    tags=["cxr", "training"],
    default_args={
        "owner": "cxr",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
    },
    user_defined_filters={"shell_args": shell_args, "run_folder": run_folder},
    params={
        **trainer_params("every command"),
        "gpu": Param(False, type="boolean", description="request all GPUs (--gpus all)"),
        "predict_source": Param(
            "",
            type="string",
            description="images under /sources to label with the new model ('' = none)",
        ),
    },
    doc_md=__doc__,
) as dag:
    prepare = CxrTask(
        task_id="prepare",
        cxr_command="prepare --source {{ params.data_source | shell_args }}",
        execution_timeout=timedelta(hours=1),
    )
    train = CxrTask(
        task_id="train",
        cxr_command="train --model {{ params.model_type }} paths.models=" + MODELS_DIR,
        execution_timeout=timedelta(hours=6),
    )
    evaluate = CxrTask(
        task_id="evaluate",
        cxr_command="evaluate paths.models=" + MODELS_DIR,
        execution_timeout=timedelta(hours=1),
        # the gate's verdict is deterministic: a failed gate is not retried
        retries=0,
    )
    register = CxrTask(
        task_id="register",
        cxr_command="register paths.models=" + MODELS_DIR,
        execution_timeout=timedelta(minutes=30),
    )
    wants_predictions = ShortCircuitOperator(
        task_id="wants_predictions",
        python_callable=wants_predictions_for,
    )
    predict = CxrTask(
        task_id="predict",
        cxr_command="predict --strict --format json --model "
        + MODELS_DIR
        + "/model.zip -o "
        + MODELS_DIR
        + "/predictions.json {{ params.predict_source | shell_args }}",
        execution_timeout=timedelta(hours=1),
    )
    prepare >> train >> evaluate >> register >> wants_predictions >> predict
