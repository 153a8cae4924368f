"""Start and follow runs of cxr's DAG through Airflow's REST API (stdlib only).

    airflow_run.py trigger [CONF_JSON]   unpause the DAG, start a run with that conf, say where to watch
    airflow_run.py watch [RUN_ID]        follow a run task by task until it ends (exit 0 success, 1 not);
                                         a failed task's log tail is printed
    airflow_run.py log TASK [RUN_ID]     a task's log (its last try)

Reads AIRFLOW_PORT and AIRFLOW_ADMIN_PASSWORD from the environment (scripts/stack.sh loads .env).
RUN_ID defaults to the last run triggered from this checkout (.airflow-last-run).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

# the DAG: CXR_DAG (the Makefile's DAG=...), the weekly pipeline by default
DAGS = {
    "cxr_training_pipeline": ["prepare", "train", "evaluate", "register", "wants_predictions", "predict"],
    "cxr_hpo": ["prepare", "plan", "trials", "trial", "select"],
}
DAG_ID = os.environ.get("CXR_DAG") or "cxr_training_pipeline"
TASKS = DAGS.get(DAG_ID, [])
# the last run triggered from here, per DAG
LAST = Path(".airflow-last-run" + ("" if DAG_ID == "cxr_training_pipeline" else f"-{DAG_ID}"))


def fail(message: str, code: int = 2) -> None:
    print(f"airflow_run: {message}", file=sys.stderr)
    sys.exit(code)


class Airflow:
    def __init__(self) -> None:
        port = os.environ.get("AIRFLOW_PORT", "8080")
        self.base = f"http://127.0.0.1:{port}"
        self.token = None
        password = os.environ.get("AIRFLOW_ADMIN_PASSWORD")
        if not password:
            fail("AIRFLOW_ADMIN_PASSWORD is not set (run through scripts/stack.sh, which reads .env)")
        try:
            self.token = self.call(
                "POST", "/auth/token", {"username": "admin", "password": password}
            )["access_token"]
        except urllib.error.URLError as e:
            fail(f"Airflow at {self.base} does not answer ({getattr(e, 'reason', e)}): `make up` first")

    def call(self, method: str, path: str, body=None, text: bool = False):
        req = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
        )
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read().decode()
        return raw if text else (json.loads(raw) if raw else None)

    def run_path(self, run_id: str) -> str:
        return f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id, safe='')}"


def wait_for_dag(af: Airflow, seconds: float = 180) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            af.call("GET", f"/api/v2/dags/{DAG_ID}")
            return
        except urllib.error.HTTPError as e:
            if e.code != 404 or time.monotonic() > end:
                fail(f"DAG {DAG_ID} is not in Airflow ({e.code}); see `make logs`")
        time.sleep(3)


def trigger(conf_text: str) -> None:
    try:
        conf = json.loads(conf_text or "{}")
    except json.JSONDecodeError as e:
        fail(f"CONF is not JSON ({e.msg} at column {e.colno}): {conf_text}")
    if not isinstance(conf, dict):
        fail(f"CONF must be a JSON object, got: {conf_text}")
    if DAG_ID not in DAGS:
        fail(f"DAG={DAG_ID}: expected one of {', '.join(DAGS)}")
    af = Airflow()
    wait_for_dag(af)
    # a run of a paused DAG would wait for ever; the schedule never starts a past run (see the DAG)
    af.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    try:
        run = af.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf})
    except urllib.error.HTTPError as e:
        fail(f"Airflow refused the run ({e.code}): {e.read().decode()[:500]}")
    run_id = run["dag_run_id"]
    LAST.write_text(run_id + "\n")
    print(f"started {DAG_ID} run {run_id}")
    dag = "" if DAG_ID == "cxr_training_pipeline" else f" DAG={DAG_ID}"
    print(f"  follow it:  make watch{dag}      (or the UI: {af.base}/dags/{DAG_ID}/runs/{urllib.parse.quote(run_id, safe='')})")
    print(f"  a task's log: make task-log{dag} TASK={TASKS[1]}")


def last_run(given: str | None) -> str:
    if given:
        return given
    if not LAST.exists():
        fail("no run given and none triggered from here (make trigger, or RUN=<run id>)")
    return LAST.read_text().strip()


def task_states(af: Airflow, run_id: str) -> dict[str, str]:
    """Each task's state; a mapped task's instances summed up (``4 success``, ``1 running, 3 queued``)."""
    tis = af.call("GET", af.run_path(run_id) + "/taskInstances")["task_instances"]
    by_task: dict[str, list[str]] = {}
    mapped = set()
    for t in tis:
        by_task.setdefault(t["task_id"], []).append(t["state"] or "none")
        if (t.get("map_index") or -1) >= 0:
            mapped.add(t["task_id"])
    out = {}
    for task, states in by_task.items():
        if task not in mapped:
            out[task] = states[0]
            continue
        counts: dict[str, int] = {}
        for s in states:
            counts[s] = counts.get(s, 0) + 1
        out[task] = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return out


def task_log(af: Airflow, run_id: str, task: str) -> str:
    ti = af.call("GET", af.run_path(run_id) + f"/taskInstances/{task}")
    tries = max(1, ti.get("try_number") or 1)
    body = af.call("GET", af.run_path(run_id) + f"/taskInstances/{task}/logs/{tries}?full_content=true")
    content = body.get("content") if isinstance(body, dict) else body
    if isinstance(content, list):  # Airflow 3: structured log events
        lines = []
        for ev in content:
            if isinstance(ev, dict):
                lines.append(str(ev.get("event", "")))
            else:
                lines.append(str(ev))
        return "\n".join(lines)
    return str(content)


def watch(run_id: str | None) -> None:
    run_id = last_run(run_id)
    af = Airflow()
    start = time.monotonic()
    seen: dict[str, str] = {}
    while True:
        try:
            state = af.call("GET", af.run_path(run_id))["state"]
        except urllib.error.HTTPError as e:
            fail(f"run {run_id}: {e.code} (is it a run of {DAG_ID}?)")
        states = task_states(af, run_id)
        for task in TASKS:
            s = states.get(task)
            if s and s != "none" and seen.get(task) != s:
                print(f"{time.monotonic() - start:7.0f} s  {task:<18} {s}", flush=True)
                seen[task] = s
        if state in ("success", "failed"):
            break
        time.sleep(5)
    print(f"run {run_id}: {state} after {time.monotonic() - start:.0f} s")
    for task in TASKS:
        if states.get(task) == "failed":  # (a mapped task's failures: its instances in the UI)
            tail = task_log(af, run_id, task).strip().splitlines()[-25:]
            print(f"--- {task} failed; the end of its log (make task-log TASK={task}):")
            print("\n".join(tail))
            if task == "evaluate":
                print("(evaluate exits 1 when the quality gate fails: register did not run)")
    sys.exit(0 if state == "success" else 1)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("trigger", "watch", "log"):
        fail("usage: airflow_run.py trigger [CONF_JSON] | watch [RUN_ID] | log TASK [RUN_ID]")
    cmd, rest = argv[0], argv[1:]
    if cmd == "trigger":
        trigger(rest[0] if rest else "")
    elif cmd == "watch":
        watch(rest[0] if rest else None)
    else:
        if not rest:
            fail(f"log: which task? ({', '.join(t for t in TASKS if t != 'wants_predictions')})")
        run_id = last_run(rest[1] if len(rest) > 1 else None)
        print(task_log(Airflow(), run_id, rest[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
