"""The DAG as Airflow loads it: imports, order, schedule, params, retries, GPU requests.

Runs in .venv-airflow against the pinned Airflow (requirements-airflow.txt)."""

from __future__ import annotations

import os
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[1]
DAG_ID = "cxr_training_pipeline"


@pytest.fixture(scope="module")
def dagbag():
    os.environ.pop("CXR_SCHEDULE", None)
    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags[DAG_ID]


def test_dagbag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dag_ids


def test_tasks_run_prepare_train_evaluate_register_in_order(dag):
    assert [t.task_id for t in dag.topological_sort()] == [
        "prepare",
        "train",
        "evaluate",
        "register",
        "wants_predictions",
        "predict",
    ]
    assert dag.get_task("register").upstream_task_ids == {"evaluate"}
    assert dag.get_task("evaluate").upstream_task_ids == {"train"}
    assert dag.get_task("train").upstream_task_ids == {"prepare"}


def test_weekly_without_catchup_one_run_at_a_time(dag):
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert dag.timetable.summary == "0 0 * * 0"  # @weekly: Sunday 00:00 UTC
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_unpausing_starts_no_run_at_once_the_first_is_the_next_sunday(dag):
    """The scheduler's question on unpause: which run is due? Not last Sunday's: next Sunday's."""
    from airflow.timetables.base import TimeRestriction
    from airflow.sdk import timezone

    now = timezone.utcnow()
    info = dag.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=dag.catchup),
    )
    assert dag.start_date is None
    assert info.run_after > now
    assert info.run_after.weekday() == 6 and info.run_after.hour == 0  # Sunday 00:00 UTC
    assert info.run_after - now <= timedelta(days=7)


def test_a_relative_source_folder_is_an_import_error_naming_it(monkeypatch):
    monkeypatch.setenv("CXR_SOURCE_DIR", "./data/raw")
    bag = DagBag(dag_folder=str(DAGS / "cxr_training_pipeline.py"))
    (error,) = bag.import_errors.values()
    assert "CXR_SOURCE_DIR='./data/raw': expected an absolute path on the Docker host" in error


def test_the_tests_folder_is_not_parsed_as_dags():
    """Airflow's UI listed dags/tests/*.py as DAG import errors (no pytest in its image)."""
    assert "tests/" in (DAGS / ".airflowignore").read_text().split()
    bag = DagBag(dag_folder=str(DAGS))
    parsed = [str(stat.file) for stat in bag.dagbag_stats]
    assert parsed and not any("tests" in Path(f).parts for f in parsed), parsed


def test_retries_and_timeouts(dag):
    for t in dag.tasks:
        if t.task_id == "wants_predictions":
            continue
        assert t.execution_timeout is not None and t.execution_timeout <= timedelta(hours=6)
    assert dag.get_task("train").retries == 2
    assert dag.get_task("train").retry_delay == timedelta(minutes=5)
    # a failed quality gate is a verdict, not a glitch
    assert dag.get_task("evaluate").retries == 0


def test_params_and_their_defaults(dag):
    params = dag.params.dump()
    assert params["predict_source"] == ""
    assert params["model_type"] == "cnn"
    assert params["gpu"] is False
    assert params["overrides"] == []
    assert params["image"] == "cxr-trainer:cpu"
    assert params["data_source"].startswith("/sources/")


def test_every_task_runs_the_trainer_image_on_the_host_network_with_shared_volumes(dag):
    for t in dag.tasks:
        if t.task_id == "wants_predictions":
            continue
        assert t.image == "{{ params.image }}"
        assert t.network_mode == "host"
        assert t.mount_tmp_dir is False
        targets = {m["Target"] for m in t.mounts}
        assert {"/work/data", "/work/models", "/work/mlruns", "/sources"} <= targets
        assert "MLFLOW_TRACKING_URI" in t.environment


def render(dag, task_id, conf=None, run_id="manual__2026-11-27T10:00:00+00:00"):
    task = dag.get_task(task_id)
    params = dag.params.dump()
    params.update(conf or {})
    ctx = {"params": params, "dag_run": type("Run", (), {"run_id": run_id})()}
    return task.render_template(task.command, ctx, jinja_env=dag.get_template_env())


def test_train_evaluate_and_register_share_the_run_s_models_folder(dag):
    words = {t: shlex.split(render(dag, t)) for t in ("train", "evaluate", "register")}
    folder = "paths.models=models/runs/manual__2026-11-27T10_00_00_00_00"
    for t, w in words.items():
        assert folder in w, (t, w)
    assert words["train"][:3] == ["train", "--model", "cnn"]
    assert words["evaluate"][0] == "evaluate"
    assert words["register"][0] == "register"


def test_overrides_reach_every_command_as_separate_quoted_words(dag):
    conf = {"overrides": ["train.epochs=2", "gate.min_test_auc=0.5"], "model_type": "dense"}
    for t in ("prepare", "train", "evaluate", "register", "predict"):
        w = shlex.split(render(dag, t, conf))
        assert w[-2:] == ["train.epochs=2", "gate.min_test_auc=0.5"], (t, w)
    assert shlex.split(render(dag, "train", conf))[:3] == ["train", "--model", "dense"]
    w = shlex.split(render(dag, "prepare", {"data_source": "/sources/my data.npz"}))
    assert w[:3] == ["prepare", "--source", "/sources/my data.npz"]


def test_gpu_param_adds_a_request_for_all_gpus(dag):
    task = dag.get_task("train")
    task.apply_params({"gpu": True})
    (req,) = task.device_requests
    assert req["Count"] == -1
    assert req["Capabilities"] == [["gpu"]]
    task.apply_params({"gpu": False})
    assert task.device_requests is None


def test_bad_params_are_refused(dag):
    from airflow.sdk.definitions.param import ParamsDict

    params = ParamsDict(dag.params)
    params.validate()  # the defaults are valid
    for key, value in [("model_type", "resnet"), ("gpu", "yes"), ("overrides", ["epochs 2"])]:
        bad = ParamsDict(dag.params)
        with pytest.raises(Exception, match=key):
            bad[key] = value  # a trigger's conf is validated as it is set
            bad.validate()


def test_predictions_only_when_a_source_is_given_with_the_run_s_model(dag):
    from cxr_training_pipeline import wants_predictions_for

    assert wants_predictions_for({"predict_source": ""}) is False
    assert wants_predictions_for({"predict_source": "/sources/x"}) is True
    w = shlex.split(render(dag, "predict", {"predict_source": "/sources/x y"}))
    folder = "models/runs/manual__2026-11-27T10_00_00_00_00"
    assert w[:6] == ["predict", "--strict", "--format", "json", "--model", folder + "/model.zip"]
    assert w[6:9] == ["-o", folder + "/predictions.json", "/sources/x y"]


# --- cxr_hpo: the search fanned out over the workers ------------------------------------------


@pytest.fixture(scope="module")
def hpo(dagbag):
    return dagbag.dags["cxr_hpo"]


def test_hpo_plans_then_maps_one_trial_task_per_candidate_then_selects(hpo):
    assert [t.task_id for t in hpo.topological_sort()] == [
        "prepare",
        "plan",
        "trials",
        "trial",
        "select",
    ]
    trial = hpo.get_task("trial")
    assert type(trial).__name__ == "MappedOperator"
    assert hpo.get_task("trials").upstream_task_ids == {"plan"}
    assert hpo.get_task("select").upstream_task_ids == {"trial"}
    assert type(hpo.timetable).__name__ == "NullTimetable"  # manual runs only
    assert hpo.max_active_runs == 1


def test_hpo_select_runs_when_every_trial_is_done_whatever_their_outcome(hpo):
    assert str(hpo.get_task("select").trigger_rule) in ("all_done", "TriggerRule.ALL_DONE")
    # a killed worker's trial is retried; the plan's XCom is what the mapping reads
    assert hpo.get_task("trial").partial_kwargs["retries"] >= 1
    assert hpo.get_task("plan").do_xcom_push is True


def test_hpo_trials_are_bounded_and_keep_to_their_threads(hpo):
    trial = hpo.get_task("trial")
    assert trial.partial_kwargs["max_active_tis_per_dagrun"] == 2
    assert trial.partial_kwargs["threads"] == "1"


def test_hpo_every_step_gets_the_same_model_and_overrides(hpo):
    """The plan's signature covers the config and overrides: a step given others is refused."""
    import cxr_hpo

    for task_id in ("plan", "select"):
        command = hpo.get_task(task_id).command
        assert "--model {{ params.model_type }}" in command
        assert command.endswith("{{ params.overrides | shell_args }}")
    partial = hpo.get_task("trial").partial_kwargs
    assert partial["cxr_args"] == "--model {{ params.model_type }}"
    assert cxr_hpo.trial_commands('{"parent_run_id": "abc", "trials": [1, 2, 3]}') == [
        "optimize --trial 1",
        "optimize --trial 2",
        "optimize --trial 3",
    ]


def test_hpo_a_plan_line_that_is_not_the_plan_is_one_clear_error():
    import cxr_hpo

    with pytest.raises(ValueError, match="expected its last log line to be the JSON"):
        cxr_hpo.trial_commands("search: random over ...")
    with pytest.raises(ValueError, match="no trials planned"):
        cxr_hpo.trial_commands('{"parent_run_id": "abc", "trials": []}')


def test_a_trial_container_gets_its_thread_share(hpo):
    from cxr_common import CxrTask

    t = CxrTask(task_id="t", dag_id="x", cxr_command="optimize --trial 1", threads="1")
    assert t.environment["OMP_NUM_THREADS"] == "1"
    assert t.environment["OPENBLAS_NUM_THREADS"] == "1"
    assert t.command == "optimize --trial 1 {{ params.overrides | shell_args }}"
    plain = CxrTask(task_id="p", dag_id="x", cxr_command="train")
    assert "OMP_NUM_THREADS" not in plain.environment


def test_a_trial_shares_nothing_but_the_tracking_server(hpo):
    """A trial takes its plan, data and the other trials' records from MLflow: its container
    mounts none of the stack's volumes, as on a worker host of its own; the other steps do."""
    from cxr_common import CxrTask

    assert hpo.get_task("trial").partial_kwargs["volumes"] is False
    alone = CxrTask(task_id="t", dag_id="x", cxr_command="optimize --trial 1", volumes=False)
    assert alone.mounts == []
    assert "MLFLOW_TRACKING_URI" in alone.environment
    for task_id in ("prepare", "plan", "select"):
        targets = {m["Target"] for m in hpo.get_task(task_id).mounts}
        assert {"/work/data", "/work/mlruns", "/work/artifacts"} <= targets, task_id
