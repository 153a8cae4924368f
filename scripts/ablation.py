#!/usr/bin/env python3
"""Ablation of model-quality levers under dataset shift (issues 13 and 28).

Trains the default config once per (lever, seed) on an already prepared data set and collects, from
each run's metrics.json, the validation figures, the test figures and, when the data was prepared
with external sets (data.external, issue 28), the external_* figures. With the PneumoniaMNIST
pipeline the test split *is* the official Kermany test split; with a Kermany folder and
data.external the external columns are the other collection's films. A lever that chooses on
external data (train.threshold_on=external, ...) needs data.external in its overrides too, naming
the set as it was prepared.

Each lever is a name and the config overrides it applies on top of the default config, one per line
of a levers file:

    baseline
    no-normalization  train.normalization=none
    gap-head          model.cnn.head=gap

Results are appended to <out>/runs.tsv as each run finishes (a killed ablation resumes where it
stopped: finished (lever, seed) rows are skipped), and <out>/ablation.md is rewritten after each
run: mean and spread (sample standard deviation) over the seeds per lever.

usage: scripts/ablation.py --levers FILE --seeds 1,2,3 --out DIR [--jar cli/target/cxr.jar]
       [--config conf/config.yaml] [--prepared data/prepared] [--report-only]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = [
    "lever",
    "seed",
    "val_auc",
    "val_log_loss",
    "val_balanced_accuracy",
    "test_accuracy",
    "test_auc",
    "test_specificity",
    "test_sensitivity",
    "test_log_loss",
    "external_accuracy",
    "external_auc",
    "external_specificity",
    "external_sensitivity",
    "external_log_loss",
    "threshold",
    "best_epoch",
    "epochs_run",
    "train_seconds",
]
SHOWN = [
    ("val_auc", "val AUC", 4),
    ("val_log_loss", "val log-loss", 4),
    ("test_accuracy", "test accuracy", 3),
    ("test_auc", "test AUC", 3),
    ("test_specificity", "test specificity", 3),
    ("test_sensitivity", "test sensitivity", 3),
    ("external_accuracy", "ext. accuracy", 3),
    ("external_auc", "ext. AUC", 3),
    ("external_specificity", "ext. specificity", 3),
    ("external_sensitivity", "ext. sensitivity", 3),
    ("train_seconds", "train s", 0),
]


def read_levers(path: Path) -> list[tuple[str, list[str]]]:
    levers = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, *overrides = line.split()
        if any("=" not in o for o in overrides):
            sys.exit(f"{path}:{n}: expected 'name key=value ...', got {line!r}")
        levers.append((name, overrides))
    names = [n for n, _ in levers]
    if len(set(names)) != len(names):
        sys.exit(f"{path}: lever names must be unique")
    return levers


def read_runs(tsv: Path) -> list[dict]:
    if not tsv.exists():
        return []
    with tsv.open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


def train(jar: str, config: str, prepared: str, overrides: list[str], seed: int, work: Path) -> dict:
    cmd = [
        "java",
        "-jar",
        jar,
        "train",
        "--quiet",
        f"--config={config}",
        f"seed={seed}",
        f"paths.prepared={prepared}",
        f"paths.models={work / 'models'}",
        f"paths.artifacts={work / 'artifacts'}",
        f"tracking.local_dir={work / 'mlruns'}",
        "tracking.uri=",
        *overrides,
    ]
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    start = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode not in (0, 4):
        sys.exit(f"train {' '.join(overrides)} seed={seed} failed ({done.returncode}):\n{done.stderr}")
    metrics = json.loads((work / "models" / "metrics.json").read_text())
    row = {c: metrics.get(c, "") for c in COLUMNS}
    row["train_seconds"] = round(seconds, 1)
    return row


def fmt(values: list[float], digits: int) -> str:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def report(rows: list[dict], levers: list[tuple[str, list[str]]], out: Path) -> None:
    # columns no run filled (no external set: data.external empty) are left out
    shown = [s for s in SHOWN if any(r.get(s[0]) not in (None, "") for r in rows)]
    lines = [
        "| lever | overrides | seeds | " + " | ".join(h for _, h, _ in shown) + " |",
        "|---|---|---:|" + "---:|" * len(shown),
    ]
    for name, overrides in levers:
        mine = [r for r in rows if r["lever"] == name]
        if not mine:
            continue
        cells = [fmt([float(r[k]) for r in mine if r.get(k) not in (None, "")] or [float("nan")], d) for k, _, d in shown]
        lines.append(
            f"| {name} | {' '.join(overrides) or '(default config)'} | {len(mine)} | "
            + " | ".join(cells)
            + " |"
        )
    text = (
        "Mean ± sample standard deviation over the seeds. val: the validation split carved from "
        "the training data; test: the prepared test split; ext.: the data.external sets pooled "
        "(other collections' films), at the model's threshold.\n\n" + "\n".join(lines) + "\n"
    )
    with tempfile.NamedTemporaryFile("w", dir=out, delete=False, suffix=".tmp") as f:
        f.write(text)
    os.replace(f.name, out / "ablation.md")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--levers", type=Path, required=True)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--jar", default="cli/target/cxr.jar")
    p.add_argument("--config", default="conf/config.yaml", help="the config the levers change")
    p.add_argument("--prepared", default="data/prepared")
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    levers = read_levers(a.levers)
    seeds = [int(s) for s in a.seeds.split(",")]
    a.out.mkdir(parents=True, exist_ok=True)
    tsv = a.out / "runs.tsv"
    rows = read_runs(tsv)
    done = {(r["lever"], int(r["seed"])) for r in rows}
    todo = [(n, o, s) for n, o in levers for s in seeds if (n, s) not in done]
    if a.report_only:
        todo = []
    for i, (name, overrides, seed) in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] {name} seed={seed} {' '.join(overrides)}", flush=True)
        with tempfile.TemporaryDirectory(prefix="cxr-ablation-") as work:
            row = train(a.jar, a.config, a.prepared, overrides, seed, Path(work))
        row.update(lever=name, seed=seed)
        new = not tsv.exists()
        with tsv.open("a", newline="") as f:
            w = csv.DictWriter(f, COLUMNS, delimiter="\t")
            if new:
                w.writeheader()
            w.writerow(row)
        rows.append({k: str(v) for k, v in row.items()})
        ext = (
            f" ext. acc {float(row['external_accuracy']):.3f} AUC {float(row['external_auc']):.3f} "
            f"spec {float(row['external_specificity']):.3f} "
            f"sens {float(row['external_sensitivity']):.3f}"
            if row.get("external_auc") not in (None, "")
            else ""
        )
        print(
            f"    val AUC {float(row['val_auc']):.4f} test acc {float(row['test_accuracy']):.3f} "
            f"AUC {float(row['test_auc']):.3f} spec {float(row['test_specificity']):.3f} "
            f"sens {float(row['test_sensitivity']):.3f}{ext} ({row['train_seconds']} s)",
            flush=True,
        )
        report(rows, levers, a.out)
    report(rows, levers, a.out)
    print(f"ablation: {len(rows)} runs, table in {a.out / 'ablation.md'}")


if __name__ == "__main__":
    main()
