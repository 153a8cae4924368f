#!/usr/bin/env python3
"""cxr against the Python tools users would pick instead, on the same files and tensors.

Reads the inputs written by io.cxr.bench.Inputs (file lists and tensors) and the JMH JSON of the
same run, then times, single-threaded unless said otherwise:

* decoding JPEG bytes -> grayscale -> SxS -> float32 in [0, 1] into a (32, 1, S, S) batch with
  Pillow (bilinear resize, antialiased; and with JPEG draft mode, Pillow's reduced-scale decode)
  and OpenCV's cv2 (INTER_AREA as the antialiased reference, INTER_LINEAR as cv2's default, and
  IMREAD_REDUCED_GRAYSCALE_2/4/8 + INTER_AREA);
* CNN training in PyTorch (CPU, all cores as ND4J uses) with cxr's default CNN on the same
  normalised tensors, batch 32;
* cxr's `prepare` CLI on the whole chest_xray_224 tree: wall time and peak RSS (os.wait4);

and prints the ratios against cxr's figures from JMH. Writes comparison.json.
`--smoke` shortens every timing and leaves PyTorch out (CI runs it without the 3 GB wheel).
"""

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

BATCH = 32
SIZES = (64, 128)
INPUTS = ("kermany224", "full")


def read_list(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def throughput(fn, data, seconds, rounds):
    """Median images/s over `rounds` runs of at least `seconds` each, after one warm-up pass."""
    for i, b in enumerate(data):
        fn(b, i % BATCH)
    rates = []
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while True:
            for i, b in enumerate(data):
                fn(b, i % BATCH)
            n += len(data)
            el = time.perf_counter() - t0
            if el >= seconds:
                break
        rates.append(n / el)
    return statistics.median(rates)


def jpeg_size(b):
    """(width, height) from the SOF marker, as cxr reads it."""
    i = 2
    while i + 9 < len(b):
        marker = b[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = (b[i + 2] << 8) | b[i + 3]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return (b[i + 7] << 8) | b[i + 8], (b[i + 5] << 8) | b[i + 6]
        i += 2 + length
    raise ValueError("no SOF marker")


def python_decoders(size):
    """name -> function(jpeg bytes, batch slot) filling a (32, 1, S, S) float32 batch."""
    import cv2
    from PIL import Image

    cv2.setNumThreads(1)
    out = np.empty((BATCH, 1, size, size), np.float32)
    scale = np.float32(1 / 255)

    def pillow(b, i):
        im = Image.open(io.BytesIO(b)).convert("L").resize((size, size), Image.Resampling.BILINEAR)
        np.multiply(np.asarray(im), scale, out=out[i, 0])

    def pillow_draft(b, i):
        im = Image.open(io.BytesIO(b))
        im.draft("L", (size, size))  # DCT-domain reduction to >= size
        im = im.convert("L").resize((size, size), Image.Resampling.BILINEAR)
        np.multiply(np.asarray(im), scale, out=out[i, 0])

    def cv2_with(flags_for, interp):
        def f(b, i):
            g = cv2.imdecode(np.frombuffer(b, np.uint8), flags_for(b))
            r = cv2.resize(g, (size, size), interpolation=interp)
            np.multiply(r, scale, out=out[i, 0])

        return f

    reduced = {}

    def reduced_flag(b):
        key = len(b), b[:64]
        if key not in reduced:  # known before timing: the user is handed the sizes for free
            w, h = jpeg_size(b)
            r = next(r for r in (8, 4, 2, 1) if -(-w // r) >= size and -(-h // r) >= size)
            reduced[key] = {
                8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
                4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
                2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
                1: cv2.IMREAD_GRAYSCALE,
            }[r]
        return reduced[key]

    def gray(_):
        return cv2.IMREAD_GRAYSCALE

    return {
        "pillow": pillow,
        "pillow_draft": pillow_draft,
        "cv2_area": cv2_with(gray, cv2.INTER_AREA),
        "cv2_linear": cv2_with(gray, cv2.INTER_LINEAR),
        "cv2_reduced_area": cv2_with(reduced_flag, cv2.INTER_AREA),
    }


def torch_training(x, y, size, seconds, rounds):
    import torch
    from torch import nn

    torch.manual_seed(42)
    torch.set_flush_denormal(True)  # else CPU speed swings widely (see shared/STACK.md)
    layers, cin, side = [], 1, size
    for f in (16, 32, 64):
        layers += [
            nn.Conv2d(cin, f, 3, padding=1, bias=False),
            nn.BatchNorm2d(f),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
        ]
        cin, side = f, (side + 1) // 2
    net = nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(64 * side * side, 64),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(64, 2),
    )
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([1.4, 0.8]))
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.int64))
    batches = [(xt[i : i + BATCH], yt[i : i + BATCH]) for i in range(0, len(xt), BATCH)]

    def step(k):
        bx, by = batches[k % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(bx), by)
        loss.backward()
        opt.step()

    for k in range(5):
        step(k)
    rates = []
    k = 0
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            step(k)
            k += 1
            n += BATCH
        rates.append(n / (time.perf_counter() - t0))
    return {
        "images_per_s": statistics.mean(rates),
        "threads": torch.get_num_threads(),
        "version": torch.__version__,
        "parameters": sum(p.numel() for p in net.parameters()),
    }


def jmh_results(path):
    with open(path) as f:
        rows = json.load(f)
    out = {}
    for r in rows:
        name = r["benchmark"].rsplit(".", 2)[-2]
        metric = r["primaryMetric"]
        score = metric["score"]
        if r.get("mode") == "ss":  # single-shot runs: the median resists a noisy neighbour
            score = metric.get("scorePercentiles", {}).get("50.0", score)
        out[(name, tuple(sorted(r.get("params", {}).items())))] = score
    return out


def jmh(results, name, **params):
    key = (name, tuple(sorted((k, str(v)) for k, v in params.items())))
    return results.get(key)


def run_prepare(jar, source, size):
    """cxr prepare on the whole tree: (seconds, peak RSS in MiB) of that one child process."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["java", "-jar", jar, "prepare", "-q", "--source", source,
               "--out", os.path.join(tmp, "prepared"), f"data.image_size={size}"]
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.exit(f"compare.py: {' '.join(cmd)} failed ({p.returncode}): {err.strip()[-500:]}")
        return seconds, usage.ru_maxrss / 1024


def fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", required=True, help="folder written by io.cxr.bench.Inputs")
    ap.add_argument("--jmh", required=True, help="JMH JSON result of the same run")
    ap.add_argument("--out", required=True, help="folder for comparison.json and .md")
    ap.add_argument("--cxr-jar", help="cli/target/cxr.jar, to time prepare and its peak RSS")
    ap.add_argument("--source", help="chest_xray_224 folder for the prepare run")
    ap.add_argument("--smoke", action="store_true", help="short timings, no PyTorch")
    args = ap.parse_args()

    for f in ("kermany224.txt", "full.txt", "x_64.npy", "x_128.npy", "y.npy"):
        if not os.path.exists(os.path.join(args.inputs, f)):
            sys.exit(f"compare.py: {args.inputs}/{f} missing (run io.cxr.bench.Inputs first)")
    if not os.path.exists(args.jmh):
        sys.exit(f"compare.py: JMH result {args.jmh} not found")
    seconds, rounds = (0.3, 1) if args.smoke else (2.0, 5)
    results = jmh_results(args.jmh)
    report = {
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "smoke": args.smoke,
        "decode": [],
        "prepare": {},
        "training": [],
        "acceptance": [],
    }
    import cv2
    import PIL

    report["host"]["cv2"] = cv2.__version__
    report["host"]["pillow"] = PIL.__version__
    report["host"]["numpy"] = np.__version__

    print(f"decode, one thread, images/s (Python: {seconds} s x {rounds}, median; cxr: JMH)")
    cols = ["cxr", "cxr_full_decode", "cxr_opencv", "datavec", "imageio",
            "pillow", "pillow_draft", "cv2_area", "cv2_linear", "cv2_reduced_area"]
    print(f"{'input':<11}{'size':>5}" + "".join(f"{c:>17}" for c in cols))
    for name in INPUTS:
        files = read_list(os.path.join(args.inputs, f"{name}.txt"))
        data = [open(f, "rb").read() for f in files]
        for size in SIZES:
            row = {"input": name, "size": size, "files": len(data)}
            for impl in ("cxr", "cxr_full_decode", "cxr_opencv", "datavec", "imageio"):
                row[impl] = jmh(results, "PreprocessBenchmark", impl=impl, input=name, size=size)
            for impl, fn in python_decoders(size).items():
                row[impl] = throughput(fn, data, seconds, rounds)
            if row["cxr"]:
                for ref in ("pillow", "pillow_draft", "cv2_area", "cv2_linear", "cv2_reduced_area"):
                    row[f"cxr_vs_{ref}"] = row["cxr"] / row[ref]
            report["decode"].append(row)
            print(f"{name:<11}{size:>5}" + "".join(f"{fmt(row.get(c)):>17}" for c in cols))
    print("cxr / tool:")
    for row in report["decode"]:
        ratios = ", ".join(
            f"{k[7:]} {row[k]:.2f}x" for k in row if k.startswith("cxr_vs_"))
        print(f"  {row['input']:<11}{row['size']:>4}: {ratios}")

    prep = {}
    for size in SIZES:
        for w in (1, 2):
            ms = jmh(results, "PrepareBenchmark", workers=w, size=size, maxPerClass=0)
            if ms is None:
                ms = jmh(results, "PrepareBenchmark", workers=w, size=size, maxPerClass=60)
            prep[f"{size}_workers{w}_ms"] = ms
        if prep[f"{size}_workers1_ms"] and prep[f"{size}_workers2_ms"]:
            prep[f"{size}_speedup_2_vs_1"] = prep[f"{size}_workers1_ms"] / prep[f"{size}_workers2_ms"]
    if args.cxr_jar and args.source:
        for size in SIZES:
            secs, rss = run_prepare(args.cxr_jar, args.source, size)
            prep[f"cli_{size}_seconds"] = secs
            prep[f"cli_{size}_peak_rss_mib"] = rss
    report["prepare"] = prep
    print("prepare (JMH, whole stage, median ms per run): "
          + ", ".join(f"{k} {fmt(v, 2 if 'speedup' in k else 0)}" for k, v in prep.items()))

    if not args.smoke:
        y = np.load(os.path.join(args.inputs, "y.npy"))
        for size in SIZES:
            x = np.load(os.path.join(args.inputs, f"x_{size}.npy"))
            t = torch_training(x, y, size, 5.0, 4)
            row = {"size": size, "batch": BATCH, "pytorch": t["images_per_s"],
                   "pytorch_threads": t["threads"], "pytorch_version": t["version"],
                   "parameters": t["parameters"]}
            for variant in ("fit", "trainer", "fit_no_helpers", "fit_no_workspaces"):
                row[f"dl4j_{variant}"] = jmh(results, "TrainingBenchmark", size=size,
                                              variant=variant)
            if row["dl4j_fit"]:
                row["dl4j_fit_vs_pytorch"] = row["dl4j_fit"] / row["pytorch"]
            report["training"].append(row)
            print(f"training {size}x{size}, batch 32, images/s: DL4J fit {fmt(row['dl4j_fit'], 1)}, "
                  f"trainer loop {fmt(row['dl4j_trainer'], 1)}, "
                  f"without oneDNN helpers {fmt(row['dl4j_fit_no_helpers'], 1)}, "
                  f"without workspaces {fmt(row['dl4j_fit_no_workspaces'], 1)}; PyTorch {t['version']} "
                  f"({t['threads']} threads) {row['pytorch']:.1f}"
                  + (f" -> DL4J/PyTorch {row['dl4j_fit_vs_pytorch']:.2f}x" if row["dl4j_fit"] else ""))

    missing = [f"PreprocessBenchmark {r['input']} {r['size']} {impl}" for r in report["decode"]
               for impl in ("cxr", "cxr_full_decode", "cxr_opencv", "datavec", "imageio")
               if r.get(impl) is None]
    missing += [k for k, v in prep.items() if k.endswith("_ms") and v is None]
    if missing:  # a benchmark that stopped running must not pass unnoticed
        sys.exit("compare.py: no JMH result for " + ", ".join(missing))

    def check(what, value, goal):
        ok = value is not None and value >= goal
        report["acceptance"].append({"check": what, "value": value, "goal": goal, "met": ok})
        status = "smoke" if args.smoke else ("met" if ok else "NOT met")
        print(f"  [{status}] {what}: {fmt(value, 2)} (goal >= {goal})")

    print("acceptance" + (" (smoke run: short timings on a subset, not a measurement)" if args.smoke else ""))
    by = {(r["input"], r["size"]): r for r in report["decode"]}
    check("224->128 cxr / Pillow", by[("kermany224", 128)].get("cxr_vs_pillow"), 1.5)
    check("224->128 cxr / cv2 (INTER_AREA)", by[("kermany224", 128)].get("cxr_vs_cv2_area"), 1.0)
    check("224->64 cxr / cv2 (INTER_AREA)", by[("kermany224", 64)].get("cxr_vs_cv2_area"), 1.0)
    check("224->64 cxr / cv2 reduced-scale decode", by[("kermany224", 64)].get("cxr_vs_cv2_reduced_area"), 1.0)
    check("prepare 64px: 2 threads / 1 thread", prep.get("64_speedup_2_vs_1"), 1.7)
    if "cli_64_peak_rss_mib" in prep:
        rss = max(prep["cli_64_peak_rss_mib"], prep["cli_128_peak_rss_mib"])
        report["acceptance"].append({"check": "prepare peak RSS MiB (all 5,216 images)",
                                     "value": rss, "goal": "< 1024", "met": rss < 1024})
        status = "smoke" if args.smoke else ("met" if rss < 1024 else "NOT met")
        print(f"  [{status}] prepare peak RSS: {rss:.0f} MiB (goal < 1024)")
    for row in report["training"]:
        check(f"training {row['size']}px DL4J / PyTorch", row.get("dl4j_fit_vs_pytorch"), 0.8)

    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, ".comparison.json.part")
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
    os.replace(tmp, os.path.join(args.out, "comparison.json"))
    print(f"wrote {os.path.join(args.out, 'comparison.json')}")


if __name__ == "__main__":
    main()
