"""Airflow for the DAG tests: its own home in a temporary folder, no examples, no telemetry."""

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="cxr-airflow-home-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_ANALYTICS", "false")

# the DAG module itself, for its helper functions
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
