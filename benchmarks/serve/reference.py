"""The Python reference of the serving benchmark: what a team would write in Python to serve cxr's
default network. FastAPI + uvicorn + PyTorch (CPU), MLflow's scoring protocol (raw image bodies and
JSON `inputs` of base64 images), the same network (three conv3x3 + batch-norm + ReLU + max-pool
blocks, 16/32/64 filters, the grid head, dense 64, two classes; a seed ensemble of three, their
P(PNEUMONIA) averaged, then a Platt curve) and the same preprocessing (grayscale JPEG decoded at
reduced DCT scale, 10% crop per side, area resize to the model's side, [0, 1]).

The weights are random (throughput does not depend on them): this server is timed, never scored.
It scores each request on its own, as `mlflow models serve` and a plain FastAPI app do; the
benchmark runs it with one uvicorn worker and one torch thread per core (benchmarks/serve/bench.py).
"""

import base64
import io
import json
import math
import os

import numpy as np
import torch
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image
from torch import nn

SIZE = int(os.environ.get("REF_SIZE", "48"))
CROP = float(os.environ.get("REF_CROP", "0.1"))
MEMBERS = int(os.environ.get("REF_MEMBERS", "3"))
THRESHOLD = 0.5
PLATT_A, PLATT_B = 1.0, 0.0

torch.set_num_threads(int(os.environ.get("REF_THREADS", "1")))
torch.set_flush_denormal(True)


def network(size, seed):
    torch.manual_seed(seed)
    layers, cin, side = [], 1, size
    for f in (16, 32, 64):
        layers += [
            nn.Conv2d(cin, f, 3, padding=1, bias=False),
            nn.BatchNorm2d(f),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
        ]
        cin, side = f, (side + 1) // 2
    k = max(1, side // 4)  # cxr's grid head: average-pool the last maps to about 4x4
    if k > 1:
        layers.append(nn.AvgPool2d(k))
        side //= k
    net = nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(64 * side * side, 64),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(64, 2),
    )
    return net.eval()


MODELS = [network(SIZE, 42 + m) for m in range(MEMBERS)]


def decode(data):
    im = Image.open(io.BytesIO(data))
    source = math.ceil(SIZE / (1 - 2 * CROP))
    im.draft("L", (source, source))  # JPEG DCT scaling, as cxr's reduced decode
    im = im.convert("L")
    w, h = im.size
    dx, dy = round(w * CROP), round(h * CROP)
    im = im.crop((dx, dy, w - dx, h - dy)).resize((SIZE, SIZE), Image.Resampling.BOX)
    return np.asarray(im, dtype=np.float32) / 255.0


def score(images):
    x = torch.from_numpy(np.stack(images))[:, None]
    with torch.inference_mode():
        p = sum(torch.softmax(m(x), 1)[:, 1] for m in MODELS) / len(MODELS)
    logit = torch.logit(p.clamp(1e-7, 1 - 1e-7))
    return torch.sigmoid(PLATT_A * logit + PLATT_B).tolist()


app = FastAPI()


@app.get("/ping")
def ping():
    return ""


@app.post("/invocations")
async def invocations(request: Request):
    body = await request.body()
    kind = request.headers.get("content-type", "")
    try:
        if kind.startswith("application/json"):
            images = [decode(base64.b64decode(b)) for b in json.loads(body)["inputs"]]
        elif kind.startswith("image/"):
            images = [decode(body)]
        else:
            return JSONResponse({"error_code": "BAD_REQUEST", "message": kind}, 400)
    except Exception as e:  # noqa: BLE001 - a bad image is the client's error
        return JSONResponse({"error_code": "BAD_REQUEST", "message": str(e)}, 400)
    # scoring is CPU work: off the event loop, in the worker's thread pool
    from starlette.concurrency import run_in_threadpool

    probabilities = await run_in_threadpool(score, images)
    return {
        "predictions": [
            {
                "label": "PNEUMONIA" if p >= THRESHOLD else "NORMAL",
                "probability": p,
                "threshold": THRESHOLD,
            }
            for p in probabilities
        ]
    }
