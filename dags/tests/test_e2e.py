"""End to end on a real Docker engine: the trainer image built from Dockerfile.gpu, the compose
stack (PostgreSQL, MLflow, Airflow 3) started from docker-compose.yml, and the DAG run twice on
PneumoniaMNIST through Airflow's REST API:

1. a healthy run (2 epochs): every task succeeds, MLflow holds the train run with its metrics,
   and the registry's ``champion`` alias points at the version this DAG run registered;
2. a run with an impossible gate bound: it fails at ``evaluate``, ``register`` never runs, and
   ``champion`` stays where it was.

Everything started here is torn down at the end, also on failure. Needs dockerd (``.ci/run``
starts it); fails, never skips, under ``CI=true``."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "cxr_training_pipeline"
COMPOSE = [str(ROOT / ".venv-airflow/bin/docker-compose")]
PROJECT = "cxr-e2e"
PORTS = {"POSTGRES_PORT": 25432, "MLFLOW_PORT": 25000, "AIRFLOW_PORT": 28080, "CXR_SERVE_PORT": 28090,
         "REDIS_PORT": 26379, "S3_PORT": 28333}
# the stack here runs the `distributed` profile (CeleryExecutor, Redis, 2 workers: what
# `make up-distributed` starts); the newcomer walk (test_newcomer.py) runs `make up`'s LocalExecutor
WORKERS = 2
REGISTRY = "cxr-pneumonia"


def shared_data() -> Path:
    d = os.environ.get("CXR_SHARED_DATA") or str(ROOT.parent / "shared/data")
    return Path(d)


def need(condition: bool, why: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(why + " (CI=true: a missing tool is a failure, not a skip)")
        pytest.skip(why)


def sh(*args, check=True, timeout=1800, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), cwd=ROOT, check=check, timeout=timeout, text=True, capture_output=True, **kw
    )


class Http:
    """Tiny JSON client for the two REST APIs (urllib: nothing to install)."""

    def __init__(self, base: str, token: str | None = None):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None, query=None):
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
            if "json" not in r.headers.get("Content-Type", ""):
                return text
            return json.loads(text) if text else None

    def wait(self, path: str, seconds: float, query=None):
        end = time.monotonic() + seconds
        while True:
            try:
                return self.call("GET", path, query=query)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                if time.monotonic() > end:
                    raise AssertionError(f"{self.base}{path} did not answer in {seconds}s: {e}")
                time.sleep(2)


@pytest.fixture(scope="module")
def images():
    """The CPU trainer image and the stack's images, built (or found up to date) here."""
    need(shutil.which("docker") is not None, "docker CLI not installed")
    need(sh("docker", "info", check=False).returncode == 0, "no Docker engine (start dockerd)")
    t0 = time.monotonic()
    for flavour in ("cpu", "stack"):
        r = sh("scripts/docker-build.sh", flavour, check=False, timeout=2400)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return time.monotonic() - t0


def test_trainer_image_runs_cxr_as_a_non_root_user_with_the_fast_decoder(images):
    r = sh("docker", "run", "--rm", "--network", "host", "cxr-trainer:cpu", "--help")
    assert r.stdout.startswith("Usage: cxr"), r.stdout
    info = json.loads(sh("docker", "image", "inspect", "cxr-trainer:cpu").stdout)[0]["Config"]
    assert info["User"] == "cxr"
    assert info["Entrypoint"][0] == "java" and info["Entrypoint"][-2:] == ["-jar", "/opt/cxr/cxr.jar"]
    assert info["WorkingDir"] == "/work"
    # no VOLUME: anonymous volumes shadowed a checkout mounted at /work, and each DAG task left one
    assert not info.get("Volumes"), info.get("Volumes")
    assert sh("docker", "run", "--rm", "--network", "none", "cxr-trainer:cpu", "--version"
              ).stdout.startswith("cxr 0.1.0-SNAPSHOT\n")
    labels = info["Labels"]
    head = sh("git", "rev-parse", "HEAD", check=False).stdout.strip()
    if head:
        assert labels["org.opencontainers.image.revision"] == head
    assert labels["org.opencontainers.image.version"] == "0.1.0-SNAPSHOT"
    # the same SIMD libjpeg-turbo as the workstation: the image decodes pixels like the host
    r = sh("docker", "run", "--rm", "--network", "none", "--entrypoint", "sh", "cxr-trainer:cpu",
           "-c", "id -u; ldconfig -p | grep -c 'libturbojpeg.so.0'")
    uid, found = r.stdout.split()
    assert uid == "10001" and int(found) >= 1


def test_trainer_image_refuses_bad_input_with_one_line_and_exit_2(images):
    r = sh("docker", "run", "--rm", "--network", "none", "cxr-trainer:cpu", "prepare", "--source",
           "/sources/missing.npz", check=False)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.startswith("cxr: error: ") and "/sources/missing.npz" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_host_and_image_give_identical_probabilities(images, tmp_path):
    """Same model, same JPEGs: `predict` on the workstation (the jar) and in the trainer image
    (the same SIMD libjpeg-turbo) gives the same probabilities, bit for bit."""
    jar = ROOT / "cli/target/cxr.jar"
    assert jar.is_file(), "cli/target/cxr.jar missing (./mvnw package)"
    raw = tmp_path / "raw/train"
    for label in ("NORMAL", "PNEUMONIA"):
        d = raw / label
        d.mkdir(parents=True)
        for f in sorted((shared_data() / "chest_xray_224/train" / label).iterdir())[:40]:
            shutil.copy(f, d / f.name)
    work = tmp_path / "work"
    work.mkdir()
    common = ["data.folder_image_size=64", "data.min_split_images=1", "tracking.uri="]
    train = ["train", "train.epochs=1", "train.ensemble=1"]
    for cmd in (["prepare", "--source", str(raw.parent)], train):
        r = subprocess.run(["java", "-jar", str(jar), *cmd, "--quiet", *common], cwd=work,
                           text=True, capture_output=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
    host = subprocess.run(
        ["java", "-jar", str(jar), "predict", "--strict", "--format", "json",
         "--model", "models/model.zip", str(raw)], cwd=work, text=True, capture_output=True,
        timeout=600)
    assert host.returncode == 0, host.stderr
    image = sh("docker", "run", "--rm", "--network", "none", "--user", "0:0",
               "-v", f"{work}:/m:ro", "-v", f"{raw}:/images:ro", "cxr-trainer:cpu",
               "predict", "--strict", "--format", "json", "--model", "/m/models/model.zip",
               "/images", check=False)
    assert image.returncode == 0, image.stderr
    on_host = {Path(r["file"]).relative_to(raw).as_posix(): r["probability_pneumonia"]
               for r in json.loads(host.stdout)}
    in_image = {Path(r["file"]).relative_to("/images").as_posix(): r["probability_pneumonia"]
                for r in json.loads(image.stdout)}
    assert len(on_host) == 80
    assert on_host == in_image


@pytest.fixture(scope="module")
def stack(images, tmp_path_factory):
    need(Path(COMPOSE[0]).exists(), "compose missing: scripts/venv.sh requirements-airflow.txt .venv-airflow")
    source = shared_data()
    assert (source / "pneumoniamnist/pneumoniamnist.npz").is_file(), f"{source} lacks the npz"
    build_s = images

    suffix = secrets.token_hex(4)
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env = {
        "COMPOSE_PROJECT_NAME": PROJECT,
        "CXR_TRAINER_IMAGE": "cxr-trainer:cpu",
        **{k: str(v) for k, v in PORTS.items()},
        "MLFLOW_DB_PASSWORD": secrets.token_urlsafe(16),
        "AIRFLOW_DB_PASSWORD": secrets.token_urlsafe(16),
        "AIRFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
        "DOCKER_GID": str(os.stat("/var/run/docker.sock").st_gid),
        "CXR_SOURCE_DIR": str(source.resolve()),
        "CXR_VOLUME_PREFIX": f"cxr-e2e-{suffix}",
        "CXR_SCHEDULE": "none",  # manual runs only: no scheduled run competes with the test's
        "CXR_SERVE_POLL_S": "2",
        "AIRFLOW_EXECUTOR": "CeleryExecutor",
        "COMPOSE_PROFILES": "distributed",
        "REDIS_PASSWORD": secrets.token_urlsafe(16),
        "S3_ACCESS_KEY": "cxr-e2e",
        "S3_SECRET_KEY": secrets.token_urlsafe(30),
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    compose = COMPOSE + ["-p", PROJECT, "--env-file", str(env_file), "-f", "docker-compose.yml",
                         "--profile", "distributed"]
    t1 = time.monotonic()
    try:
        r = sh(*compose, "up", "-d", "--wait", "--wait-timeout", "600",
               "--scale", f"airflow-worker={WORKERS}", check=False, timeout=900)
        assert r.returncode == 0, "compose up failed:\n" + r.stdout[-4000:] + r.stderr[-4000:]
        airflow = Http(f"http://127.0.0.1:{PORTS['AIRFLOW_PORT']}")
        airflow.wait("/api/v2/version", 300)
        token = airflow.call(
            "POST", "/auth/token", {"username": "admin", "password": env["AIRFLOW_ADMIN_PASSWORD"]}
        )["access_token"]
        airflow.token = token
        mlflow = Http(f"http://127.0.0.1:{PORTS['MLFLOW_PORT']}")
        mlflow.wait("/health", 300)
        serve = Http(f"http://127.0.0.1:{PORTS['CXR_SERVE_PORT']}")
        yield {
            "airflow": airflow,
            "mlflow": mlflow,
            "serve": serve,
            "volume_prefix": env["CXR_VOLUME_PREFIX"],
            "s3_keys": (env["S3_ACCESS_KEY"], env["S3_SECRET_KEY"]),
            "build_seconds": build_s,
            "up_seconds": time.monotonic() - t1,
        }
    except BaseException:
        logs = sh(*compose, "logs", "--no-color", "--tail", "80", check=False)
        print(logs.stdout[-20000:])
        raise
    finally:
        sh(*compose, "down", "-v", "--remove-orphans", "--timeout", "20", check=False)
        left = sh("docker", "ps", "-aq", "--filter", "label=io.cxr.dag", check=False).stdout.split()
        if left:
            sh("docker", "rm", "-f", *left, check=False)
        vols = sh("docker", "volume", "ls", "-q", "--filter", "name=" + env["CXR_VOLUME_PREFIX"],
                  check=False).stdout.split()
        if vols:
            sh("docker", "volume", "rm", "-f", *vols, check=False)


def s3_objects(keys: tuple[str, str], bucket: str, prefix: str = "") -> dict[str, str]:
    """Key -> ETag of a bucket of the stack's S3 store (empty when there is no such bucket yet),
    listed with botocore (.venv's, DVC's S3 plugin's dependency) over the S3 API itself."""
    script = (
        "import json, sys, botocore.session\n"
        "c = botocore.session.get_session().create_client('s3', endpoint_url=sys.argv[1],"
        " region_name='us-east-1')\n"
        "out = {}\n"
        "try:\n"
        "    for page in c.get_paginator('list_objects_v2').paginate(Bucket=sys.argv[2], Prefix=sys.argv[3]):\n"
        "        out.update({o['Key']: o['ETag'].strip('\"') for o in page.get('Contents', [])})\n"
        "except c.exceptions.NoSuchBucket:\n"
        "    pass\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "AWS_ACCESS_KEY_ID": keys[0], "AWS_SECRET_ACCESS_KEY": keys[1]}
    r = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", script,
                        f"http://127.0.0.1:{PORTS['S3_PORT']}", bucket, prefix],
                       env=env, text=True, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def wait_for_dag(airflow: Http, seconds: float = 300, dag_id: str = DAG_ID) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            airflow.call("GET", f"/api/v2/dags/{dag_id}")
            return
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        time.sleep(3)
    raise AssertionError(f"{dag_id} was not parsed within {seconds}s")


def run_dag(
    airflow: Http, conf: dict, seconds: float = 1500, dag_id: str = DAG_ID, mapped: list | None = None
) -> tuple[str, dict]:
    """Triggers a run and waits for its end: its state and each task's (a mapped task's
    instances, ``{"task_id", "map_index", "state", "try_number"}``, go into ``mapped``)."""
    run = airflow.call(
        "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf}
    )
    run_id = run["dag_run_id"]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        state = airflow.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}")["state"]
        if state in ("success", "failed"):
            tis = airflow.call(
                "GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances"
            )["task_instances"]
            if mapped is not None:
                mapped.extend(t for t in tis if t.get("map_index", -1) >= 0)
            return state, {t["task_id"]: t["state"] for t in tis} | {"_run_id": run_id}
        time.sleep(5)
    raise AssertionError(f"DAG run {run_id} did not finish within {seconds}s")


def champion(mlflow: Http) -> dict:
    return mlflow.call(
        "GET",
        "/api/2.0/mlflow/registered-models/alias",
        query={"name": REGISTRY, "alias": "champion"},
    )["model_version"]


def volume_file(prefix: str, path: str) -> str:
    r = sh("docker", "run", "--rm", "--network", "none", "--entrypoint", "cat",
           "-v", f"{prefix}-models:/work/models:ro", "cxr-trainer:cpu", path)
    return r.stdout


def volume_copy(prefix: str, path: str, dest: Path) -> None:
    with open(dest, "wb") as out:
        subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "cat",
                        "-v", f"{prefix}-models:/work/models:ro", "cxr-trainer:cpu", path],
                       stdout=out, check=True, timeout=120)


def serve_status(serve: Http, path: str) -> int:
    try:
        with urllib.request.urlopen(serve.base + path, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def served_version(serve: Http, want: str, seconds: float = 90) -> dict:
    """The compose serve service's /version once it serves version ``want``."""
    end = time.monotonic() + seconds
    v = {}
    while time.monotonic() < end:
        if serve_status(serve, "/health") == 200:
            v = serve.call("GET", "/version")
            if v.get("version") == want:
                return v
        time.sleep(1)
    raise AssertionError(f"serve did not switch to version {want} within {seconds} s: {v}")


def test_weekly_dag_trains_registers_and_a_failed_gate_keeps_the_champion(stack, tmp_path):
    airflow, mlflow, serve = stack["airflow"], stack["mlflow"], stack["serve"]
    # the serve service is up before any champion exists: alive, not ready
    assert serve_status(serve, "/ping") == 200
    assert serve_status(serve, "/health") == 503
    wait_for_dag(airflow)
    airflow.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})

    t0 = time.monotonic()
    predict_dir = "chest_xray_224/train/NORMAL"
    state, tasks = run_dag(airflow, {
        "data_source": "/sources/pneumoniamnist/pneumoniamnist.npz",
        "overrides": ["train.epochs=2", "train.ensemble=1"],
        "predict_source": "/sources/" + predict_dir,
    })
    first_s = time.monotonic() - t0
    assert state == "success", tasks
    assert {k: v for k, v in tasks.items() if k != "_run_id"} == {
        "prepare": "success", "train": "success", "evaluate": "success", "register": "success",
        "wants_predictions": "success", "predict": "success",
    }

    # the train run is on the server with its params and metrics
    from cxr_training_pipeline import run_folder  # the DAG's own naming of a run's folder

    folder = run_folder(tasks["_run_id"])
    run_json = json.loads(volume_file(stack["volume_prefix"], f"/work/models/runs/{folder}/run.json"))
    remote = run_json["remote_run_id"]
    assert remote, run_json
    run = mlflow.call("GET", "/api/2.0/mlflow/runs/get", query={"run_id": remote})["run"]
    assert run["info"]["status"] == "FINISHED"
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    for k in ("test_f1", "test_auc", "val_auc", "threshold"):
        assert k in metrics, sorted(metrics)
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["train.epochs"] == "2"
    assert params["paths.models"] == f"models/runs/{folder}"
    # its artifacts went through MLflow's artifact proxy into the S3 store (bucket cxr-mlflow)
    assert run["info"]["artifact_uri"].startswith("mlflow-artifacts:/"), run["info"]
    stored = s3_objects(stack["s3_keys"], "cxr-mlflow", "artifacts/")
    in_run = [k for k in stored if f"/{remote}/artifacts/" in k]
    assert any(k.endswith("/model.zip") for k in in_run), sorted(stored)[:20]

    # champion is the version this DAG run registered, from this run
    champ = champion(mlflow)
    assert champ["run_id"] == remote
    versions = mlflow.call("GET", "/api/2.0/mlflow/model-versions/search",
                           query={"filter": f"name='{REGISTRY}'"})["model_versions"]
    assert len(versions) == 1

    # the DAG's predictions equal the workstation's for the same model and images, bit for bit
    model = tmp_path / "model.zip"
    volume_copy(stack["volume_prefix"], f"/work/models/runs/{folder}/model.zip", model)
    in_dag = json.loads(
        volume_file(stack["volume_prefix"], f"/work/models/runs/{folder}/predictions.json"))
    host = subprocess.run(
        ["java", "-jar", str(ROOT / "cli/target/cxr.jar"), "predict", "--strict", "--format",
         "json", "--model", str(model), str(shared_data() / predict_dir)],
        cwd=tmp_path, text=True, capture_output=True, timeout=600)
    assert host.returncode == 0, host.stderr
    on_host = {Path(r["file"]).name: r["probability_pneumonia"] for r in json.loads(host.stdout)}
    through_dag = {Path(r["file"]).name: r["probability_pneumonia"] for r in in_dag}
    assert len(on_host) > 1000
    assert through_dag == on_host

    # the running serve service switched to the champion the DAG registered, and answers with
    # the numbers cxr predict gives on the host for the same model and image, bit for bit (one
    # image each: scored among 255 others, the native kernels may round the last bits otherwise)
    served = served_version(serve, champ["version"])
    assert served["run_id"] == remote and served["name"] == REGISTRY, served
    image = sorted((shared_data() / predict_dir).iterdir())[0]
    req = urllib.request.Request(serve.base + "/invocations", image.read_bytes(),
                                 {"Content-Type": "image/jpeg"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.headers["X-Cxr-Model-Version"] == champ["version"]
        answer = json.load(r)["predictions"][0]
    one = subprocess.run(
        ["java", "-jar", str(ROOT / "cli/target/cxr.jar"), "predict", "--strict", "--format",
         "json", "--model", str(model), str(image)],
        cwd=tmp_path, text=True, capture_output=True, timeout=600)
    assert one.returncode == 0, one.stderr
    alone = json.loads(one.stdout)[0]["probability_pneumonia"]
    assert answer["probability"] == alone, (answer, alone)
    assert abs(answer["probability"] - on_host[image.name]) < 1e-5

    # an impossible gate: evaluate fails, register never runs, champion stays
    state, tasks = run_dag(airflow, {
        "data_source": "/sources/pneumoniamnist/pneumoniamnist.npz",
        "overrides": ["train.epochs=2", "train.ensemble=1", "gate.min_test_auc=1.0"],
    })
    assert state == "failed", tasks
    assert tasks["prepare"] == "success" and tasks["train"] == "success", tasks
    assert tasks["evaluate"] == "failed", tasks
    assert tasks["register"] == "upstream_failed", tasks
    assert tasks["predict"] == "upstream_failed", tasks
    assert champion(mlflow)["version"] == champ["version"]
    versions = mlflow.call("GET", "/api/2.0/mlflow/model-versions/search",
                           query={"filter": f"name='{REGISTRY}'"})["model_versions"]
    assert len(versions) == 1
    assert served_version(serve, champ["version"])["version"] == champ["version"]
    metrics = urllib.request.urlopen(serve.base + "/metrics", timeout=10).read().decode()
    assert 'cxr_model_swaps_total{outcome="installed"} 1.0' in metrics, metrics
    print(
        f"\ne2e: images built/checked in {stack['build_seconds']:.0f}s, stack up in "
        f"{stack['up_seconds']:.0f}s, healthy DAG run {first_s:.0f}s, "
        f"failing-gate run {time.monotonic() - t0 - first_s:.0f}s"
    )


def kill_a_running_trial(mlflow: Http, experiment: str, killed: dict, seconds: float = 600) -> None:
    """Waits for a trial's nested run to be RUNNING on MLflow, then SIGKILLs that trial's container
    (its JVM gets no chance to end the run): what a worker's host dying mid-trial leaves."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and "run_id" not in killed:
        try:
            exp = mlflow.call("GET", "/api/2.0/mlflow/experiments/get-by-name",
                              query={"experiment_name": experiment})["experiment"]["experiment_id"]
            runs = mlflow.call("POST", "/api/2.0/mlflow/runs/search", {
                "experiment_ids": [exp], "filter": "attributes.status = 'RUNNING' and tags.trial != ''"
            }).get("runs", [])
        except (urllib.error.URLError, KeyError) as e:
            killed.setdefault("errors", []).append(repr(e))
            runs = []
        for r in runs:
            trial = {t["key"]: t["value"] for t in r["data"]["tags"]}["trial"]
            ps = subprocess.run(
                ["docker", "ps", "--no-trunc", "--filter", "label=io.cxr.dag=cxr_hpo",
                 "--format", "{{.ID}} {{.Command}}"], text=True, capture_output=True).stdout
            ids = [line.split()[0] for line in ps.splitlines() if f"--trial {trial} " in line + " "]
            if ids and subprocess.run(["docker", "kill", ids[0]], capture_output=True).returncode == 0:
                killed.update(trial=trial, run_id=r["info"]["run_id"])
                return
        time.sleep(1)


def local_search(tmp_path: Path, overrides: list[str]) -> str:
    """`cxr prepare` + `cxr optimize` of these overrides on this host, in a folder of its own,
    one thread as the DAG's trials: its best config file's text."""
    work = tmp_path / "local-search"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    jar, conf = str(ROOT / "cli/target/cxr.jar"), str(ROOT / "conf/config.yaml")
    npz = str(shared_data() / "pneumoniamnist/pneumoniamnist.npz")
    for cmd in (["prepare", "--source", npz], ["optimize", "--model", "cnn"]):
        r = subprocess.run(["java", "-jar", jar, *cmd, "--config", conf, *overrides], cwd=work,
                           env=env, text=True, capture_output=True, timeout=1200)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return (work / "models/best_config.yaml").read_text()


def test_hpo_dag_fans_a_search_out_one_container_per_trial(stack, tmp_path):
    """cxr_hpo on the real stack: plan -> 4 mapped trial containers (2 at a time) -> select; all
    nested runs under one parent on the MLflow service, the parent ended with the best trial.
    One trial's container is killed mid-run: Airflow retries it, its dead nested run ends FAILED,
    and it counts once."""
    import threading

    airflow, mlflow = stack["airflow"], stack["mlflow"]
    wait_for_dag(airflow, dag_id="cxr_hpo")
    airflow.call("PATCH", "/api/v2/dags/cxr_hpo", {"is_paused": False})
    experiment = "e2e-hpo"
    t0 = time.monotonic()
    mapped: list = []
    killed: dict = {}
    killer = threading.Thread(target=kill_a_running_trial, args=(mlflow, experiment, killed), daemon=True)
    killer.start()
    overrides = [
        f"experiment.name={experiment}", "train.epochs=2", "hpo.trials=4",
        "hpo.pruning.enabled=false", "data.max_per_class=300",
        "hpo.space.cnn=[{key: train.learning_rate, type: log_uniform, low: 0.0005, high: 0.003}]",
    ]
    state, tasks = run_dag(airflow, {
        "data_source": "/sources/pneumoniamnist/pneumoniamnist.npz", "overrides": overrides,
    }, seconds=1200, dag_id="cxr_hpo", mapped=mapped)
    seconds = time.monotonic() - t0
    killer.join(5)
    assert state == "success", tasks
    assert "run_id" in killed, f"no trial container was seen running to kill: {killed}"
    assert sorted(t["map_index"] for t in mapped) == [0, 1, 2, 3], mapped
    assert all(t["state"] == "success" for t in mapped), mapped
    # the killed trial's task was retried once; the others ran once
    assert sorted(t["try_number"] for t in mapped) == [1, 1, 1, 2], mapped
    assert tasks["select"] == "success"

    exp = mlflow.call("GET", "/api/2.0/mlflow/experiments/get-by-name",
                      query={"experiment_name": experiment})["experiment"]["experiment_id"]
    runs = mlflow.call("POST", "/api/2.0/mlflow/runs/search", {"experiment_ids": [exp]})["runs"]
    tags = [{t["key"]: t["value"] for t in r["data"].get("tags", [])} for r in runs]
    parents = [r for r, t in zip(runs, tags) if "mlflow.parentRunId" not in t]
    assert len(parents) == 1, [t.get("mlflow.runName") for t in tags]
    parent = parents[0]
    assert parent["info"]["status"] == "FINISHED"
    nested = [(r, t) for r, t in zip(runs, tags) if "mlflow.parentRunId" in t]
    # the killed attempt: ended FAILED by select, marked recovered; its retry finished
    dead = [(r, t) for r, t in nested if r["info"]["run_id"] == killed["run_id"]]
    assert len(dead) == 1 and dead[0][0]["info"]["status"] == "FAILED", dead
    assert "cxr.recovered" in dead[0][1] and dead[0][1]["trial"] == killed["trial"]
    children = [(r, t) for r, t in nested if r["info"]["run_id"] != killed["run_id"]]
    assert sorted(int(t["trial"]) for _, t in children) == [1, 2, 3, 4]
    for r, t in children:
        assert t["mlflow.parentRunId"] == parent["info"]["run_id"]
        assert r["info"]["status"] == "FINISHED" and t["trial_state"] == "COMPLETE"
    metrics = {m["key"]: m["value"] for m in parent["data"]["metrics"]}
    # counted once: 4 trials, none failed, one retried attempt; its dead run was ended FAILED by
    # select on the server (the trial containers share no store: no other process saw it)
    assert metrics["trials"] == 4 and metrics["trials_failed"] == 0, metrics
    assert metrics["trial_attempts_retried"] == 1 and metrics["trial_runs_dead"] == 1, metrics
    # every trial container started without the plan, parent or data: it adopted the parent and
    # pulled the planned data from the MLflow server (the artifacts in the S3 bucket)
    for t in mapped:
        body = airflow.call(
            "GET", f"/api/v2/dags/cxr_hpo/dagRuns/{urllib.parse.quote(tasks['_run_id'])}"
            f"/taskInstances/trial/logs/{t['try_number']}",
            query={"full_content": "true", "map_index": str(t["map_index"])})
        text = json.dumps(body)
        assert "adopted the search's parent run " + parent["info"]["run_id"] in text, text[-3000:]
        assert "pulled the search's prepared data" in text, text[-3000:]
    data = s3_objects(stack["s3_keys"], "cxr-mlflow", "artifacts/")
    assert any(k.endswith("/hpo/data/x_train.npy") for k in data), sorted(data)[:20]
    best = max(children, key=lambda c: {m["key"]: m["value"] for m in c[0]["data"]["metrics"]}["val_auc"])
    ptags = {t["key"]: t["value"] for t in parent["data"]["tags"]}
    assert ptags["best_trial"] == best[1]["trial"]
    # the same search run locally on this host (one process, one thread, no tracking server):
    # the same best config and score as the fanned-out one
    fanned = volume_file(stack["volume_prefix"], "/work/models/best_config.yaml")
    local = local_search(tmp_path, overrides)
    import yaml

    def score(text: str) -> str:  # the header's "val_auc 0.xxxxxx"
        return text.splitlines()[0].split("): ")[1]

    def config(text: str) -> dict:  # the best config but where each process tracks its runs
        return {k: v for k, v in yaml.safe_load(text).items() if k != "tracking"}

    assert score(fanned) == score(local), (fanned.splitlines()[0], local.splitlines()[0])
    assert config(fanned) == config(local)

    # the orchestration a trial costs: its task's time (container start, JVM, tracking) beyond
    # the nested run's own time
    from datetime import datetime

    def secs(a, b):
        return (datetime.fromisoformat(b.replace("Z", "+00:00"))
                - datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds()

    task_s = sorted(secs(t["start_date"], t["end_date"]) for t in mapped)
    run_s = sorted((r["info"]["end_time"] - r["info"]["start_time"]) / 1000 for r, _ in children)
    print(f"\nhpo DAG: 4 trials (trial {killed['trial']} killed once and retried; dead runs ended by "
          f"select: {metrics['trial_runs_dead']:.0f}), 2 at a time, "
          f"in {seconds:.0f} s; trial tasks {task_s} s, "
          f"their nested runs {run_s} s: {sum(task_s) / 4 - sum(run_s) / 4:.1f} s of "
          f"orchestration per trial")


def test_dvc_pushes_and_pulls_through_the_stacks_s3_store(stack, tmp_path):
    """`make push-data` / `make pull-data` (scripts/stack.sh data) with no default DVC remote:
    DVC's remote `stack` of .dvc/config on the stack's S3 store, its keys from .env. Run on a
    git + DVC repository of its own holding the real npz, from a copy of the script."""
    need((ROOT / ".venv/bin/dvc").exists(), "no .venv/bin/dvc: scripts/venv.sh")
    work = tmp_path / "repo"
    (work / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts/stack.sh", work / "scripts/stack.sh")
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=work, env=env, text=True, capture_output=True, timeout=600)

    def dvc(*args: str) -> subprocess.CompletedProcess:
        return run(str(work / ".venv/bin/dvc"), *args)

    assert run("git", "init", "-q").returncode == 0
    r = dvc("init", "-q")
    assert r.returncode == 0, r.stderr
    shutil.copy2(ROOT / ".dvc/config", work / ".dvc/config")
    (work / "data").mkdir()
    npz = work / "data/pneumoniamnist.npz"
    shutil.copy2(shared_data() / "pneumoniamnist/pneumoniamnist.npz", npz)
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    # a folder, as the pipeline's outputs are (DVC lists the bucket before pushing a folder: the
    # store makes its buckets at start)
    r = dvc("add", "data")
    assert r.returncode == 0, r.stderr
    md5 = hashlib.md5(npz.read_bytes()).hexdigest()

    access, secret = stack["s3_keys"]
    wrong = secrets.token_urlsafe(30)
    dotenv = work / ".env"
    dotenv.write_text(f"S3_PORT={PORTS['S3_PORT']}\nS3_ACCESS_KEY={access}\nS3_SECRET_KEY={wrong}\n")
    # a wrong key: refused by the store, and the key is in nothing DVC or the script printed
    r = run("scripts/stack.sh", "data", "push")
    assert r.returncode != 0, r.stdout + r.stderr
    assert wrong not in r.stdout + r.stderr
    assert not s3_objects(stack["s3_keys"], "cxr-dvc", f"cache/files/md5/{md5[:2]}/{md5[2:]}")

    dotenv.write_text(f"S3_PORT={PORTS['S3_PORT']}\nS3_ACCESS_KEY={access}\nS3_SECRET_KEY={secret}\n")
    r = run("scripts/stack.sh", "data", "push")
    assert r.returncode == 0, r.stdout + r.stderr
    assert secret not in r.stdout + r.stderr
    assert "2 files pushed" in r.stdout, r.stdout  # the folder's listing and the npz
    stored = s3_objects(stack["s3_keys"], "cxr-dvc", "cache/")
    assert stored.get(f"cache/files/md5/{md5[:2]}/{md5[2:]}") == md5, sorted(stored)
    # the endpoint went into DVC's git-ignored local config; the keys went nowhere on disk
    assert f"127.0.0.1:{PORTS['S3_PORT']}" in (work / ".dvc/config.local").read_text()
    assert not any(secret in p.read_text(errors="replace") for p in (work / ".dvc").rglob("config*"))

    # another machine: no workspace copy, no cache; pull brings the same bytes back
    shutil.rmtree(work / "data")
    shutil.rmtree(work / ".dvc/cache")
    r = run("scripts/stack.sh", "data", "pull")
    assert r.returncode == 0, r.stdout + r.stderr
    assert hashlib.sha256(npz.read_bytes()).hexdigest() == digest
