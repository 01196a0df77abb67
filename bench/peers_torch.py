#!/usr/bin/python3
"""PyTorch's nn.GRU classifier on the shapes of bench/engine_peers.cpp, for the side-by-side
benchmark: float and dynamic int8 (torch.ao.quantization.quantize_dynamic), one thread.

    peers_torch.py --steps 28 --features 28 --hidden 128 --classes 10 --batch 256 --sequences 2048

prints one line per variant: `torch_float <sequences per second>` and `torch_dynamic_int8 <...>`.
Optional: run only by the benchmark, never at run time of mpgru.
"""
import argparse
import time

import torch


class Classifier(torch.nn.Module):
    def __init__(self, features, hidden, classes):
        super().__init__()
        self.gru = torch.nn.GRU(features, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.out(y[:, -1])


def throughput(model, data, batch):
    """Sequences per second over all of `data`, `batch` sequences per call."""
    with torch.inference_mode():
        model(data[:batch])  # warm-up
        start = time.perf_counter()
        for first in range(0, data.shape[0], batch):
            model(data[first:first + batch])
        return data.shape[0] / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    for name in ("steps", "features", "hidden", "classes", "batch", "sequences"):
        p.add_argument("--" + name, type=int, required=True)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = Classifier(a.features, a.hidden, a.classes).eval()
    data = torch.rand(a.sequences, a.steps, a.features)
    quantized = torch.ao.quantization.quantize_dynamic(
        model, {torch.nn.GRU, torch.nn.Linear}, dtype=torch.qint8)
    print("torch_float", throughput(model, data, a.batch), flush=True)
    print("torch_dynamic_int8", throughput(quantized, data, a.batch), flush=True)


if __name__ == "__main__":
    main()
