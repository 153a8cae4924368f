"""A newcomer's walk: the README's "On a schedule: Docker and Airflow" section, command by command.

A fresh clone of this checkout's HEAD in a fresh folder; the raw data put where the README says
(``data/raw``: a copy of the shared PneumoniaMNIST npz stands in for ``make download-data``, which
needs Zenodo); then every command of the section's ``sh`` blocks, in order, exactly as written,
each of which must exit 0. The commands are read from README.md, so the README and the walk
cannot drift apart. Ports, the compose project and the volume prefix come from the environment
(the first ``make up`` takes them from there, as .env.example says) so that the walk does not meet
another stack on this machine. After the walk: one DAG run only (unpausing started none), no DAG
import errors, a ``champion`` in MLflow, the registry page of its version served, the
``docker run`` outputs in the clone and owned by the caller, then ``make clean-stack`` leaves no
container, volume or dangling build image of the walk's.

Needs dockerd (``.ci/run`` starts it); fails, never skips, under ``CI=true``."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "cxr_training_pipeline"
SECTION = "## On a schedule: Docker and Airflow"
PORTS = {"POSTGRES_PORT": 35432, "MLFLOW_PORT": 35000, "AIRFLOW_PORT": 38080, "CXR_SERVE_PORT": 38090,
         "REDIS_PORT": 36379, "S3_PORT": 36333}
# walked after SECTION, in the same clone: the search fanned out over the CeleryExecutor's workers
SEARCH_SECTION = "## A search over Airflow's workers"


def need(condition: bool, why: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(why + " (CI=true: a missing tool is a failure, not a skip)")
        pytest.skip(why)


def readme_commands(readme: str, section_title: str = SECTION) -> list[str]:
    """The shell commands of a README section (the Docker and Airflow one by default), in order."""
    start = readme.index(section_title)
    end = readme.find("\n## ", start + len(section_title))
    section = readme[start : end if end > 0 else len(readme)]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        commands += [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return commands


def test_the_readme_section_has_the_walk_s_commands():
    commands = readme_commands((ROOT / "README.md").read_text())
    assert commands[:2] == ["make images", "make up"], commands
    assert any(c.startswith("make trigger ") for c in commands), commands
    assert "make watch" in commands and any(c.startswith("docker run ") for c in commands)
    search = readme_commands((ROOT / "README.md").read_text(), SEARCH_SECTION)
    assert search[0].startswith("make up-distributed") and search[-1] == "make down", search
    assert any(c.startswith("make trigger DAG=cxr_hpo ") for c in search), search


def sh(cmd: str, cwd: Path, env: dict, timeout: int = 3600) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", cmd], cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout
    )


def http(base: str, path: str, token: str | None = None, body=None, method: str | None = None):
    req = urllib.request.Request(
        base + path, data=None if body is None else json.dumps(body).encode(), method=method
    )
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read().decode()


def test_a_newcomer_gets_a_scheduled_gated_registered_model_by_the_readme_alone(tmp_path):
    need(shutil.which("docker") is not None, "docker CLI not installed")
    need(subprocess.run(["docker", "info"], capture_output=True).returncode == 0,
         "no Docker engine (start dockerd)")
    shared = Path(os.environ.get("CXR_SHARED_DATA") or ROOT.parent / "shared/data")
    npz = shared / "pneumoniamnist/pneumoniamnist.npz"
    assert npz.is_file(), f"{npz} missing"

    clone = tmp_path / "cxr"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    raw = clone / "data/raw/pneumoniamnist"
    raw.mkdir(parents=True)
    shutil.copy(npz, raw / "pneumoniamnist.npz")  # what `make download-data` puts there

    suffix = secrets.token_hex(3)
    env = dict(os.environ)
    env.update({k: str(v) for k, v in PORTS.items()})
    env.update({"COMPOSE_PROJECT_NAME": f"cxr-walk-{suffix}", "CXR_VOLUME_PREFIX": f"cxr-walk-{suffix}"})
    volumes_before = set(subprocess.run(["docker", "volume", "ls", "-q"], capture_output=True,
                                        text=True).stdout.split())
    commands = readme_commands((clone / "README.md").read_text())
    timings = {}
    try:
        walk(commands, clone, env, timings, {"make watch": lambda: check_the_stack(clone, env)})
        # then the search section: the distributed profile and the cxr_hpo DAG, as written
        walk(readme_commands((clone / "README.md").read_text(), SEARCH_SECTION), clone, env, timings,
             {"make watch DAG=cxr_hpo": lambda: check_the_search(clone, env, suffix)})

        # the `docker run` commands wrote into the clone as the caller
        model = clone / "models/model.zip"
        assert model.is_file(), "docker run train wrote no models/model.zip into the checkout"
        assert model.stat().st_uid == os.getuid()
        assert (clone / "mlruns").is_dir(), "the run journal is kept in the checkout"
        print("walk timings (s): " + json.dumps({k[:40]: round(v) for k, v in timings.items()}))
    finally:
        r = sh("make clean-stack", clone, env, timeout=600)
        print("$ make clean-stack\n" + r.stdout[-2000:] + r.stderr[-2000:])
    left = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project=cxr-walk-{suffix}"],
                          capture_output=True, text=True).stdout.split()
    assert not left, f"containers left: {left}"
    volumes_after = set(subprocess.run(["docker", "volume", "ls", "-q"], capture_output=True,
                                       text=True).stdout.split())
    assert volumes_after <= volumes_before, f"volumes left: {sorted(volumes_after - volumes_before)}"
    dangling = subprocess.run(["docker", "images", "-q", "--filter", "dangling=true", "--filter",
                               "label=io.cxr.build"], capture_output=True, text=True).stdout.split()
    assert not dangling, f"dangling build images left: {dangling}"


def walk(commands: list[str], clone: Path, env: dict, timings: dict, checks: dict) -> None:
    """Runs README commands in order, exactly as written; each must exit 0. ``checks`` maps a
    command to what is checked right after it (each must be among the commands)."""
    assert set(checks) <= set(commands), f"{sorted(set(checks) - set(commands))} not in {commands}"
    for cmd in commands:
        t0 = time.monotonic()
        r = sh(cmd, clone, env)
        timings[cmd] = time.monotonic() - t0
        print(f"$ {cmd}\n  exit {r.returncode} after {timings[cmd]:.0f} s\n"
              + "\n".join("  " + line for line in r.stdout.strip().splitlines()[-12:]))
        assert r.returncode == 0, f"`{cmd}` failed (exit {r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
        if cmd in checks:
            checks[cmd]()


def check_the_search(clone: Path, env: dict, suffix: str) -> None:
    """After the search section's run: two Celery workers, one parent run ended FINISHED with
    every planned trial a FINISHED nested run under it."""
    workers = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project=cxr-walk-{suffix}",
         "--filter", "label=com.docker.compose.service=airflow-worker"],
        capture_output=True, text=True).stdout.split()
    assert len(workers) == 2, f"expected 2 airflow-worker containers, found {len(workers)}"
    mlflow = f"http://127.0.0.1:{PORTS['MLFLOW_PORT']}"
    _, body = http(mlflow, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=cxr")
    exp = json.loads(body)["experiment"]["experiment_id"]
    _, body = http(mlflow, "/api/2.0/mlflow/runs/search", body={
        "experiment_ids": [exp], "filter": "tags.`cxr.search` = 'fanned-out'"}, method="POST")
    (parent,) = json.loads(body)["runs"]
    assert parent["info"]["status"] == "FINISHED"
    pid = parent["info"]["run_id"]
    _, body = http(mlflow, "/api/2.0/mlflow/runs/search", body={
        "experiment_ids": [exp], "filter": f"tags.mlflow.parentRunId = '{pid}'"}, method="POST")
    trials = json.loads(body)["runs"]
    assert len(trials) == 4 and all(r["info"]["status"] == "FINISHED" for r in trials), trials


def check_the_stack(clone: Path, env: dict) -> None:
    """After the README's run: what a newcomer sees in Airflow and MLflow."""
    dotenv = dict(line.split("=", 1) for line in (clone / ".env").read_text().splitlines()
                  if "=" in line and not line.startswith("#"))
    # .env keeps the relative default; the DAG's containers got the absolute host folder
    assert dotenv["CXR_SOURCE_DIR"] == "./data/raw", dotenv["CXR_SOURCE_DIR"]
    scheduler = f"{env['COMPOSE_PROJECT_NAME']}-airflow-scheduler-1"
    inspected = subprocess.run(["docker", "inspect", "--format", "{{json .Config.Env}}", scheduler],
                               capture_output=True, text=True, check=True).stdout
    given = dict(e.split("=", 1) for e in json.loads(inspected))
    assert given["CXR_SOURCE_DIR"] == str((clone / "data/raw").resolve()), given["CXR_SOURCE_DIR"]
    airflow = f"http://127.0.0.1:{PORTS['AIRFLOW_PORT']}"
    _, body = http(airflow, "/auth/token", body={"username": "admin",
                                                 "password": dotenv["AIRFLOW_ADMIN_PASSWORD"]})
    token = json.loads(body)["access_token"]
    runs = json.loads(http(airflow, f"/api/v2/dags/{DAG_ID}/dagRuns", token)[1])["dag_runs"]
    assert len(runs) == 1 and runs[0]["run_type"] == "manual", [
        (r["dag_run_id"], r["run_type"]) for r in runs]
    errors = json.loads(http(airflow, "/api/v2/importErrors", token)[1])
    assert errors["total_entries"] == 0, errors
    health = json.loads(http(airflow, "/api/v2/monitor/health", token)[1])
    assert health["triggerer"]["status"] == "healthy", health
    mlflow = f"http://127.0.0.1:{PORTS['MLFLOW_PORT']}"
    q = urllib.parse.urlencode({"name": "cxr-pneumonia", "alias": "champion"})
    champion = json.loads(http(mlflow, "/api/2.0/mlflow/registered-models/alias?" + q)[1])
    version = champion["model_version"]["version"]
    # the stock UI's model-version page reads the version's MLmodel (it answered HTTP 500)
    q = urllib.parse.urlencode({"name": "cxr-pneumonia", "version": version, "path": "MLmodel"})
    status, mlmodel = http(mlflow, "/model-versions/get-artifact?" + q)
    assert status == 200 and "flavors:" in mlmodel, mlmodel


def test_the_readme_docker_run_commands_work_for_a_non_root_user(tmp_path):
    """The README's `docker run --user "$(id -u):$(id -g)"` lines as uid 4321 would run them.

    A fresh clone owned by uid 4321, the lines with `$(id -u):$(id -g)` standing for 4321:4321
    (what the shell gives that user): the image runs as that uid, writes into the clone, and the
    files are that user's. The Docker socket itself needs root or the docker group, as the README
    says, so the commands are started from here."""
    need(shutil.which("docker") is not None, "docker CLI not installed")
    need(subprocess.run(["docker", "image", "inspect", "cxr-trainer:cpu"],
                        capture_output=True).returncode == 0,
         "no cxr-trainer:cpu image (the walk above builds it)")
    shared = Path(os.environ.get("CXR_SHARED_DATA") or ROOT.parent / "shared/data")
    clone = tmp_path / "cxr"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    raw = clone / "data/raw/pneumoniamnist"
    raw.mkdir(parents=True)
    shutil.copy(shared / "pneumoniamnist/pneumoniamnist.npz", raw / "pneumoniamnist.npz")
    subprocess.run(["chown", "-R", "4321:4321", str(clone)], check=True)
    commands = [c for c in readme_commands((clone / "README.md").read_text())
                if c.startswith("docker run ")]
    assert len(commands) == 2 and all('--user "$(id -u):$(id -g)"' in c for c in commands), commands
    for cmd in commands:
        r = sh(cmd.replace('"$(id -u):$(id -g)"', "4321:4321"), clone, dict(os.environ), timeout=900)
        assert r.returncode == 0, f"`{cmd}` as uid 4321 failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    model = clone / "models/model.zip"
    assert model.is_file() and model.stat().st_uid == 4321, "the model is the user's"
    assert (clone / "data/prepared/manifest.json").stat().st_uid == 4321
