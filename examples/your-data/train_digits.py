#!/usr/bin/python3
"""Trains a GRU classifier in PyTorch on a data file written by make_digits.py, as a user would
before bringing it to mpgru: nn.GRU(8, HIDDEN, batch_first=True) and an nn.Linear on the last
step. The epoch with the best validation accuracy is kept and saved as a state dict.

    examples/your-data/train_digits.py DATA.npz OUT.pt [--hidden 32] [--epochs 60] [--seed 0]
"""
import argparse

import numpy as np
import torch


class Classifier(torch.nn.Module):
    def __init__(self, features, hidden, classes):
        super().__init__()
        self.gru = torch.nn.GRU(features, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.head(y[:, -1])


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    d = np.load(a.data)
    x = {s: torch.from_numpy(d["x_" + s]) for s in ("train", "validation", "test")}
    y = {s: torch.from_numpy(d["y_" + s]) for s in ("train", "validation", "test")}
    model = Classifier(x["train"].shape[2], a.hidden, int(y["train"].max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    best, best_state = -1.0, None
    g = torch.Generator().manual_seed(a.seed)
    for epoch in range(a.epochs):
        for batch in torch.randperm(len(y["train"]), generator=g).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x["train"][batch]), y["train"][batch]).backward()
            opt.step()
        val = accuracy(model, x["validation"], y["validation"])
        if val > best:
            best, best_state = val, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    torch.save(model.state_dict(), a.out)
    print(f"PyTorch GRU-{a.hidden}: validation {100 * best:.2f} %, test "
          f"{100 * accuracy(model, x['test'], y['test']):.2f} %; wrote {a.out}")


if __name__ == "__main__":
    main()
