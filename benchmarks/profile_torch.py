"""Where one PyTorch training step's time goes (issue 16): the same CNN, batch and data as
compare.py's torch_training (built by it), timed with torch.profiler on the CPU. Prints the
per-op table (self CPU time) and a JSON summary line grouped like ND4J's ops.

Usage: profile_torch.py <tensors.npy> <labels.npy> <size> [steps]
"""

import json
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH = 32


def net_for(size):
    layers, cin, side = [], 1, size
    for f in (16, 32, 64):
        layers += [nn.Conv2d(cin, f, 3, padding=1, bias=False), nn.BatchNorm2d(f), nn.ReLU(),
                   nn.MaxPool2d(2, ceil_mode=True)]
        cin, side = f, (side + 1) // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * side * side, 64),
                         nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 2))


GROUPS = [  # first match wins; names are aten ops
    ("conv backward", ("convolution_backward",)),
    ("conv forward", ("aten::mkldnn_convolution", "aten::_convolution", "aten::convolution",
                      "aten::conv2d", "aten::_nnpack")),
    ("batch-norm", ("batch_norm",)),
    ("pooling", ("max_pool", "pool2d")),
    ("activation", ("relu", "threshold")),
    ("dense (gemm)", ("aten::addmm", "aten::mm", "aten::linear", "aten::matmul", "aten::t")),
    ("dropout", ("dropout", "bernoulli", "aten::mul", "aten::div")),
    ("loss", ("cross_entropy", "log_softmax", "nll_loss")),
    ("optimizer (Adam)", ("adam", "_foreach", "aten::add_", "aten::addcmul_", "aten::addcdiv_",
                          "aten::sqrt", "aten::lerp_")),
]


def group(name):
    for g, keys in GROUPS:
        if any(k in name for k in keys):
            return g
    return "other"


def time_steps(step, steps, warmup=20):
    """Milliseconds per call of step(k) over `steps` calls, after `warmup` untimed ones."""
    for k in range(warmup):
        step(k)
    t0 = time.perf_counter()
    for k in range(steps):
        step(k)
    return (time.perf_counter() - t0) * 1000 / steps


def main():
    x = np.load(sys.argv[1]).astype(np.float32)
    y = np.load(sys.argv[2]).astype(np.int64)
    size = int(sys.argv[3])
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    torch.manual_seed(42)
    torch.set_flush_denormal(True)
    net = net_for(size)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([1.4, 0.8]))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    batches = [(xt[i:i + BATCH], yt[i:i + BATCH]) for i in range(0, len(xt) - BATCH + 1, BATCH)]

    def step(k):
        bx, by = batches[k % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss_fn(net(bx), by).backward()
        opt.step()

    step_ms = time_steps(step, steps)
    with torch.no_grad():
        f0 = time.perf_counter()
        for k in range(steps):
            net(batches[k % len(batches)][0])
        forward_ms = (time.perf_counter() - f0) * 1000 / steps
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for k in range(steps):
            step(k)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25)
    print(table)
    groups = {}
    for e in prof.key_averages():
        groups[group(e.key)] = groups.get(group(e.key), 0) + e.self_cpu_time_total / 1000 / steps
    print("PROFILE_JSON " + json.dumps({
        "framework": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "size": size, "batch": BATCH, "steps": steps, "step_ms": step_ms,
        "images_per_s": BATCH * 1000 / step_ms, "forward_no_grad_ms": forward_ms,
        "self_cpu_ms_per_step_by_group": {k: round(v, 3) for k, v in sorted(groups.items())}}))


if __name__ == "__main__":
    main()
