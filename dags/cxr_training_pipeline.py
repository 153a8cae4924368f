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
import re
import shlex
from datetime import timedelta

from airflow.providers.docker.operators.docker import DockerOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, Param
from airflow.timetables.trigger import CronTriggerTimetable
from docker.types import DeviceRequest, Mount

DAG_ID = "cxr_training_pipeline"

IMAGE = os.environ.get("CXR_TRAINER_IMAGE", "cxr-trainer:cpu")
MLFLOW_URI = os.environ.get("CXR_MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
SOURCE_DIR = os.environ.get("CXR_SOURCE_DIR", "/srv/cxr/raw")
if not os.path.isabs(SOURCE_DIR):
    # the trainer containers bind-mount it from the Docker host: a relative path would be taken
    # inside the Airflow container, and every task would fail to start, retrying for minutes
    raise ValueError(
        f"CXR_SOURCE_DIR={SOURCE_DIR!r}: expected an absolute path on the Docker host "
        "(`make up` passes .env's relative path on as an absolute one)"
    )
VOLUME_PREFIX = os.environ.get("CXR_VOLUME_PREFIX", "cxr")
DOCKER_URL = os.environ.get("CXR_DOCKER_URL", "unix://var/run/docker.sock")
# weekly (Sunday 00:00 UTC); CXR_SCHEDULE=none leaves only manual runs (the end-to-end test uses
# it), any cron expression sets another rhythm
_schedule = os.environ.get("CXR_SCHEDULE", "@weekly")
SCHEDULE = None if _schedule.lower() == "none" else _schedule


def timetable(schedule: str | None) -> CronTriggerTimetable | None:
    """Runs at the cron times, the first one *after* the DAG is unpaused.

    With a start date in the past and ``catchup=False``, Airflow starts the latest interval's run
    the moment the DAG is unpaused: a newcomer's first unpause began a full default training at
    once, and their own triggered run queued behind it (``max_active_runs=1``). Without a start
    date and with ``run_immediately=False`` the first scheduled run is the next cron time;
    ``make trigger`` starts one now.
    """
    if schedule is None:
        return None
    return CronTriggerTimetable(schedule, timezone="UTC", run_immediately=False)

# where the trainer image keeps its outputs (WORKDIR /work, see Dockerfile.gpu)
MODELS_DIR = "models/runs/{{ dag_run.run_id | run_folder }}"


def run_folder(run_id: str) -> str:
    """A DAG run id as a folder name: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("_") or "run"


def shell_args(values) -> str:
    """A list of overrides as shell-quoted words (the operator splits a command string)."""
    if isinstance(values, str):
        values = [values]
    return " ".join(shlex.quote(str(v)) for v in values or [])


def gpu_device_requests(gpu: bool) -> list[DeviceRequest] | None:
    """All of the host's GPUs (like ``docker run --gpus all``), or none."""
    return [DeviceRequest(count=-1, capabilities=[["gpu"]])] if gpu else None


def wants_predictions_for(params, **_) -> bool:
    """Whether this run labels images after registering (``predict_source`` given)."""
    return bool(params.get("predict_source"))


def mounts() -> list[Mount]:
    return [
        Mount(target="/work/data", source=f"{VOLUME_PREFIX}-data", type="volume"),
        Mount(target="/work/models", source=f"{VOLUME_PREFIX}-models", type="volume"),
        Mount(target="/work/mlruns", source=f"{VOLUME_PREFIX}-mlruns", type="volume"),
        Mount(target="/work/reports", source=f"{VOLUME_PREFIX}-reports", type="volume"),
        Mount(target="/work/artifacts", source=f"{VOLUME_PREFIX}-artifacts", type="volume"),
        Mount(target="/sources", source=SOURCE_DIR, type="bind", read_only=True),
    ]


class CxrTask(DockerOperator):
    """A cxr command in the trainer image; ``gpu`` (a run-time param) adds a GPU request."""

    def __init__(self, *, cxr_command: str, **kwargs):
        super().__init__(
            image="{{ params.image }}",
            command=cxr_command + " {{ params.overrides | shell_args }}",
            docker_url=DOCKER_URL,
            network_mode="host",
            mount_tmp_dir=False,
            mounts=mounts(),
            environment={
                "MLFLOW_TRACKING_URI": MLFLOW_URI,
                "CXR_AIRFLOW_RUN_ID": "{{ dag_run.run_id }}",
            },
            auto_remove="success",
            force_pull=False,
            do_xcom_push=False,
            labels={"io.cxr.dag": DAG_ID},
            **kwargs,
        )

    def apply_params(self, params) -> None:
        self.device_requests = gpu_device_requests(bool(params.get("gpu", False)))

    def execute(self, context):
        self.apply_params(context["params"])
        return super().execute(context)


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
        "image": Param(IMAGE, type="string", description="trainer image tag"),
        "model_type": Param("cnn", enum=["cnn", "dense"], description="model.type"),
        "data_source": Param(
            "/sources/pneumoniamnist/pneumoniamnist.npz",
            type="string",
            description="raw data in the container (CXR_SOURCE_DIR is mounted at /sources)",
        ),
        "overrides": Param(
            [],
            type="array",
            items={"type": "string", "pattern": r"^[a-z_][a-z0-9_.]*=.*$"},
            description="cxr section.key=value overrides for every command",
        ),
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
