#!/usr/bin/env python3
"""Serving benchmark of `cxr serve` beside a Python reference (benchmarks/serve/reference.py).

  .venv-serve-bench/bin/python benchmarks/serve/bench.py [--size 48] [--duration 30] [--soak 600]

1. Trains two models of the folder default's shape (ensemble of 3, the default CNN at --size px)
   on a subset of the Kermany folder for one epoch each (throughput does not depend on how well a
   model was trained), logged to a real MLflow server on loopback and registered as versions 1, 2.
2. Load: `cxr serve` (the jar, default options) and the reference (uvicorn, one worker, one torch
   thread per core: its best configuration here; two workers of one thread each answered every
   request 40 ms late, see README.md of the results) are attacked in turn with vegeta, closed-loop at concurrency 1, 8 and 32
   for --duration seconds each (after a short warm-up), 16 real 224 px JPEGs in rotation, one image
   per request; throughput, p50/p99 latency, errors and the peak RSS of the server's process tree.
3. Soak: `cxr serve --model models:/cxr-bench@champion --poll-s 5` at about 70% of cxr's measured
   maximum for --soak seconds, the alias moved between versions 1 and 2 every minute; every answer
   must be 200 and carry exactly the probability of the version its X-Cxr-Model-Version header
   names; RSS after the first minute vs at the end.

Writes results.json into --out (the analysis beside it, README.md, is written by hand). Needs the jar (built if missing), .venv (MLflow),
.venv-serve-bench (this requirements.txt) and vegeta in .tools/bin (`make serve-bench` installs both).
"""

import argparse
import base64
import datetime
import json
import os
import pathlib
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
VEGETA = ROOT / ".tools/bin/vegeta"
MODEL = "cxr-bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds=120, want=200):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == want:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    sys.exit(f"bench: {url} did not answer {want} within {seconds} s")


def rss_kib(pid):
    """RSS of a process and all its descendants, KiB."""
    children = {}
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        todo += children.get(p, [])
    return total


class RssSampler(threading.Thread):
    def __init__(self, pid, every=0.5):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.stop = pid, every, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.time(), rss_kib(self.pid)))
            self.stop.wait(self.every)

    def done(self):
        self.stop.set()
        self.join()
        return self.samples


def attack(targets, workers=None, rate=None, seconds=30, keep=None):
    args = [str(VEGETA), "attack", f"-targets={targets}", f"-duration={seconds}s", "-timeout=60s"]
    if rate is None:
        args += ["-rate=0", f"-max-workers={workers}", f"-workers={workers}"]
    else:
        args += [f"-rate={rate}/s", "-workers=64"]
    raw = subprocess.run(args, check=True, capture_output=True).stdout
    if keep:
        pathlib.Path(keep).write_bytes(raw)
    rep = subprocess.run(
        [str(VEGETA), "report", "-type=json"], input=raw, check=True, capture_output=True
    ).stdout
    return json.loads(rep), raw


def summary(rep, peak_kib):
    lat = rep["latencies"]
    errors = rep["requests"] - rep["status_codes"].get("200", 0)
    return {
        "requests": rep["requests"],
        "throughput_rps": round(rep["throughput"], 1),
        "p50_ms": round(lat["50th"] / 1e6, 1),
        "p99_ms": round(lat["99th"] / 1e6, 1),
        "errors": errors,
        "peak_rss_mib": round(peak_kib / 1024),
    }


def targets_file(work, port, images):
    lines = []
    for im in images:
        lines += [f"POST http://127.0.0.1:{port}/invocations", "Content-Type: image/jpeg", f"@{im}", ""]
    path = work / f"targets-{port}.txt"
    path.write_text("\n".join(lines))
    return path


def start(cmd, log, env=None, cwd=None):
    return subprocess.Popen(
        cmd, stdout=open(log, "ab"), stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
    )


def stop(proc):
    """Ends a server started by start() with all its workers (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cxr(work, env, *args):
    r = subprocess.run(
        ["java", "-jar", str(ROOT / "cli/target/cxr.jar"), *args],
        cwd=work, env=env, capture_output=True, text=True,
    )
    if r.returncode != 0:
        sys.exit(f"bench: cxr {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def train_and_register(work, env, shared, size):
    common = [
        f"--config={ROOT / 'conf/config.yaml'}",
        f"data.folder_image_size={size}",
        f"registry.name={MODEL}",
        "experiment.name=serve-bench",
    ]
    cxr(work, env, "prepare", "--source", str(shared / "chest_xray_224"), *common,
        "data.max_per_class=150", "paths.prepared=prepared", "--quiet")
    for i, seed in enumerate((42, 7), 1):
        run = [*common, "paths.prepared=prepared", f"paths.models=models{i}",
               f"paths.artifacts=artifacts{i}", f"paths.reports=reports{i}", f"seed={seed}"]
        cxr(work, env, "train", *run, "train.epochs=1", "--quiet")
        cxr(work, env, "register", *run, "--metrics", f"models{i}/metrics.json", "--quiet")
    return work / "models1/model.zip"


def mlflow_post(uri, path, body):
    req = urllib.request.Request(
        uri + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def served_version(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as r:
        return json.load(r)["version"]


def load_tests(work, zip_path, size, images, seconds):
    results = {}
    cpus = os.cpu_count() or 2
    servers = {
        "cxr": (["java", "-jar", str(ROOT / "cli/target/cxr.jar"), "serve", "--model", str(zip_path)], None),
        "python-reference": (
            [str(ROOT / ".venv-serve-bench/bin/uvicorn"), "reference:app", "--workers", "1",
             "--log-level", "warning"],
            {"REF_SIZE": str(size), "REF_THREADS": str(cpus)},
        ),
    }
    for name, (cmd, extra) in servers.items():
        port = free_port()
        env = dict(os.environ, **(extra or {}))
        proc = start([*cmd, "--port", str(port)], work / f"{name}.log", env=env,
                     cwd=ROOT / "benchmarks/serve")
        try:
            wait_http(f"http://127.0.0.1:{port}/ping")
            targets = targets_file(work, port, images)
            attack(targets, workers=8, seconds=5)  # warm-up: JIT, allocator, thread pools
            results[name] = {}
            for c in (1, 8, 32):
                sampler = RssSampler(proc.pid)
                sampler.start()
                rep, _ = attack(targets, workers=c, seconds=seconds)
                peak = max(k for _, k in sampler.done())
                results[name][f"c{c}"] = summary(rep, peak)
                print(f"{name:17} c={c:<3} {results[name][f'c{c}']}", flush=True)
        finally:
            stop(proc)
    return results


def soak(work, env, uri, image, rate, seconds, java_opts, move_every=60):
    port = free_port()
    proc = start(
        ["java", *java_opts, "-jar", str(ROOT / "cli/target/cxr.jar"), "serve", "--model",
         f"models:/{MODEL}@champion", "--poll-s", "5", "--port", str(port)],
        work / "soak-serve.log", env=env, cwd=work,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        expected = {}
        body = pathlib.Path(image).read_bytes()
        for v in ("1", "2", "1"):
            mlflow_post(uri, "/api/2.0/mlflow/registered-models/alias",
                        {"name": MODEL, "alias": "champion", "version": v})
            end = time.time() + 30
            while served_version(port) != v and time.time() < end:
                time.sleep(0.5)
            req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", body,
                                         {"Content-Type": "image/jpeg"})
            with urllib.request.urlopen(req) as r:
                assert r.headers["X-Cxr-Model-Version"] == v
                expected[v] = json.load(r)["predictions"][0]["probability"]
        moves, stop_moving = [], threading.Event()

        def mover():
            v = "1"
            while move_every > 0 and not stop_moving.wait(move_every):
                v = "2" if v == "1" else "1"
                mlflow_post(uri, "/api/2.0/mlflow/registered-models/alias",
                            {"name": MODEL, "alias": "champion", "version": v})
                moves.append((time.time(), v))

        targets = targets_file(work, port, [image])
        sampler = RssSampler(proc.pid, every=2)
        sampler.start()
        t = threading.Thread(target=mover, daemon=True)
        t.start()
        rep, raw = attack(targets, rate=rate, seconds=seconds)
        stop_moving.set()
        samples = sampler.done()
        t.join()
        enc = subprocess.run([str(VEGETA), "encode", "--to", "json"], input=raw,
                             check=True, capture_output=True).stdout.decode().splitlines()
        failed, mismatched, by_version, failures, max_noise = 0, 0, {}, {}, 0.0
        for line in enc:
            r = json.loads(line)
            if r["code"] != 200:
                failed += 1
                why = f"{r['code']} {r.get('error', '')[:80]} {base64.b64decode(r.get('body') or '')[:120]!r}"
                failures[why] = failures.get(why, 0) + 1
                continue
            v = (r.get("headers") or {}).get("X-Cxr-Model-Version", ["?"])[0]
            p = json.loads(base64.b64decode(r["body"]))["predictions"][0]["probability"]
            by_version[v] = by_version.get(v, 0) + 1
            diff = abs(expected.get(v, -1) - p)
            # batches of other sizes may round the last float bits differently; a wrong or
            # half-loaded model is off by far more (the two versions differ by ~0.1 or more)
            if diff > 1e-5:
                mismatched += 1
            else:
                max_noise = max(max_noise, diff)
        t0 = samples[0][0]
        after_minute = [k for ts, k in samples if ts - t0 >= 60]
        first, last = after_minute[0], statistics.mean(k for _, k in samples[-5:])
        return {
            "seconds": seconds,
            "rate_rps": rate,
            "requests": len(enc),
            "failed": failed,
            "failures": failures,
            "answers_not_from_their_version": mismatched,
            "largest_rounding_difference": max_noise,
            "answers_by_version": by_version,
            "alias_moves": len(moves),
            "p50_ms": round(rep["latencies"]["50th"] / 1e6, 1),
            "p99_ms": round(rep["latencies"]["99th"] / 1e6, 1),
            "rss_mib_after_1_min": round(first / 1024),
            "rss_mib_at_end": round(last / 1024),
            "rss_growth_pct": round(100 * (last - first) / first, 1),
            "rss_mib_every_30_s": [round(k / 1024) for ts, k in samples[::15]],
            "serve_java_options": java_opts,
            "expected_probability_by_version": expected,
        }
    finally:
        stop(proc)


def main():
    # a TERM (timeout, Ctrl-C from a wrapper) still stops the servers this run started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--soak", type=int, default=600)
    ap.add_argument("--soak-rate", type=int, help="requests/s of the soak (default: 70%% of cxr's c=8 maximum)")
    ap.add_argument("--move-every", type=int, default=60, help="seconds between alias moves in the soak (0: none)")
    ap.add_argument("--skip-load", action="store_true", help="the soak only (needs --soak-rate)")
    ap.add_argument("--serve-java-opts", default="-Xms512m -Xmx512m -XX:+AlwaysPreTouch",
                    help="JVM options of the soak server (default: %(default)s: a fixed heap, resident from the start, so that RSS growth is what the process adds, not the heap being committed)")
    ap.add_argument("--out", default=str(ROOT / f"benchmarks/results/{datetime.date.today()}-serve"))
    a = ap.parse_args()
    shared = pathlib.Path(os.environ.get("CXR_SHARED_DATA", ROOT.parent / "shared/data")).resolve()
    if not VEGETA.exists():
        sys.exit(f"bench: {VEGETA} is missing (make serve-bench installs it)")
    if not (ROOT / "cli/target/cxr.jar").exists():
        subprocess.run([str(ROOT / "mvnw"), "-B", "-q", "package", "-DskipTests"], cwd=ROOT, check=True)
    work = ROOT / "benchmarks/target/serve-bench"
    if work.exists():
        shutil.rmtree(work)  # the benchmark's own scratch folder, made below
    work.mkdir(parents=True)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    (work / "mlflow-artifacts").mkdir()
    mlflow = start(
        [str(ROOT / ".venv/bin/mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{work / 'mlflow.db'}",
         "--artifacts-destination", str(work / "mlflow-artifacts"), "--serve-artifacts",
         "--workers", "1"],
        work / "mlflow.log",
    )
    try:
        wait_http(uri + "/health")
        env = dict(os.environ, MLFLOW_TRACKING_URI=uri)
        t0 = time.time()
        zip_path = train_and_register(work, env, shared, a.size)
        print(f"trained and registered two models in {time.time() - t0:.0f} s", flush=True)
        pneumonia = sorted((shared / "chest_xray_224/train/PNEUMONIA").iterdir())[:8]
        normal = sorted((shared / "chest_xray_224/train/NORMAL").iterdir())[:8]
        images = [str(p) for pair in zip(normal, pneumonia) for p in pair]
        results = {
            "date": str(datetime.date.today()),
            "machine": f"{os.cpu_count()} cores, " + platform_line(),
            "image_size": a.size,
        }
        if not a.skip_load:
            results["load"] = load_tests(work, zip_path, a.size, images, a.duration)
        if a.soak > 0:
            rate = a.soak_rate or int(0.7 * results["load"]["cxr"]["c8"]["throughput_rps"])
            results["soak"] = soak(work, env, uri, images[1], rate, a.soak, a.serve_java_opts.split(),
                                   a.move_every)
            print(f"soak {results['soak']}", flush=True)
    finally:
        stop(mlflow)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {out / 'results.json'}")


def platform_line():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
