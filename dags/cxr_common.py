"""What cxr's DAGs share: the trainer image, its volumes and mounts, and the task that runs a cxr
command in it (a DockerOperator). Not a DAG itself."""

from __future__ import annotations

import os
import re
import shlex

from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import Param
from airflow.timetables.trigger import CronTriggerTimetable
from docker.types import DeviceRequest, Mount

IMAGE = os.environ.get("CXR_TRAINER_IMAGE", "cxr-trainer:cpu")
MLFLOW_URI = os.environ.get("CXR_MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")


def source_dir() -> str:
    """The raw data folder on the Docker host (CXR_SOURCE_DIR), mounted at /sources.

    Read when a DAG file is parsed, so that a bad value is that DAG's import error.
    """
    path = os.environ.get("CXR_SOURCE_DIR", "/srv/cxr/raw")
    if not os.path.isabs(path):
        # the trainer containers bind-mount it from the Docker host: a relative path would be
        # taken inside the Airflow container, and every task would fail to start, retrying for
        # minutes
        raise ValueError(
            f"CXR_SOURCE_DIR={path!r}: expected an absolute path on the Docker host "
            "(`make up` passes .env's relative path on as an absolute one)"
        )
    return path


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


def mounts() -> list[Mount]:
    return [
        Mount(target="/work/data", source=f"{VOLUME_PREFIX}-data", type="volume"),
        Mount(target="/work/models", source=f"{VOLUME_PREFIX}-models", type="volume"),
        Mount(target="/work/mlruns", source=f"{VOLUME_PREFIX}-mlruns", type="volume"),
        Mount(target="/work/reports", source=f"{VOLUME_PREFIX}-reports", type="volume"),
        Mount(target="/work/artifacts", source=f"{VOLUME_PREFIX}-artifacts", type="volume"),
        Mount(target="/sources", source=source_dir(), type="bind", read_only=True),
    ]


class CxrTask(DockerOperator):
    """A cxr command in the trainer image; ``gpu`` (a run-time param) adds a GPU request."""

    def __init__(
        self,
        *,
        cxr_command: str,
        dag_id: str,
        cxr_args: str = "",
        threads: str | None = None,
        volumes: bool = True,
        **kwargs,
    ):
        """``volumes=False``: the container gets none of the stack's volumes, as on a worker host
        that shares only the tracking server (a search trial: it takes its plan, data and the
        other trials' records from the server)."""
        kwargs.setdefault("do_xcom_push", False)
        environment = {
            "MLFLOW_TRACKING_URI": MLFLOW_URI,
            "CXR_AIRFLOW_RUN_ID": "{{ dag_run.run_id }}",
        }
        if threads is not None:
            # libnd4j's and oneDNN's OpenMP pool, OpenBLAS and cxr's decoders: trials sharing a
            # host each keep to their share of the cores
            environment.update(OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS="1")
        super().__init__(
            image="{{ params.image }}",
            command=" ".join(
                part for part in (cxr_command, cxr_args, "{{ params.overrides | shell_args }}") if part
            ),
            docker_url=DOCKER_URL,
            network_mode="host",
            mount_tmp_dir=False,
            mounts=mounts() if volumes else [],
            environment=environment,
            auto_remove="success",
            force_pull=False,
            labels={"io.cxr.dag": dag_id},
            **kwargs,
        )

    def apply_params(self, params) -> None:
        self.device_requests = gpu_device_requests(bool(params.get("gpu", False)))

    def execute(self, context):
        self.apply_params(context["params"])
        return super().execute(context)


def trainer_params(overrides_for: str) -> dict[str, Param]:
    """The params every cxr DAG run takes: the image, the model type, the raw data and the cxr
    overrides (``overrides_for`` says which commands get them)."""
    return {
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
            description=f"cxr section.key=value overrides for {overrides_for}",
        ),
    }
