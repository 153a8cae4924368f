"""The PyTorch side of benchmarks/suspects.sh (issue 16): the same CNN (profile_torch.net_for), the
same real tensors, one setting per run, one RESULT line like io.cxr.bench.Suspects.

Usage: suspects_torch.py train|infer <tensors.npy> <labels.npy> <size> <batch> <steps> <flush 0|1>
  train: images/s of a training step (Adam, class-weighted cross-entropy), after 20 warm-up steps
  infer: images/s of eval() + no_grad forward passes
  flush: torch.set_flush_denormal (compare.py flushes; 0 shows what denormals cost PyTorch here)
"""

import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from profile_torch import net_for, time_steps  # noqa: E402


def main():
    mode, xs, ys = sys.argv[1], sys.argv[2], sys.argv[3]
    size, batch, steps, flush = (int(a) for a in sys.argv[4:8])
    torch.manual_seed(42)
    torch.set_flush_denormal(bool(flush))
    x = np.load(xs).astype(np.float32)
    y = np.load(ys).astype(np.int64)
    n = max(len(x), 8 * batch)
    idx = np.arange(n) % len(x)
    xt, yt = torch.from_numpy(x[idx]), torch.from_numpy(y[idx])
    batches = [(xt[i:i + batch], yt[i:i + batch]) for i in range(0, n - batch + 1, batch)]
    net = net_for(size)
    if mode == "train":
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
        loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([1.4, 0.8]))

        def step(k):
            bx, by = batches[k % len(batches)]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(bx), by).backward()
            opt.step()
    elif mode == "infer":
        net.eval()

        def step(k):
            with torch.no_grad():
                net(batches[k % len(batches)][0])
    else:
        sys.exit(f"mode: expected train or infer, got {mode}")
    ms = time_steps(step, steps)
    print(f"RESULT framework=pytorch mode={mode} size={size} batch={batch} steps={steps}"
          f" threads={torch.get_num_threads()} flush_denormal={flush}"
          f" batch_ms={ms:.3f} images_per_s={batch * 1000 / ms:.1f}")


if __name__ == "__main__":
    main()
