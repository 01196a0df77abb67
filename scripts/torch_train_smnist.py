#!/usr/bin/python3
"""Trains a GRU-128 sMNIST classifier in PyTorch, the way a PyTorch user would, for `mpgru import`
(docs/pytorch.md). Optional: needs Debian's python3-torch; mpgru itself never runs Python.

    scripts/torch_train_smnist.py --data data/mnist --out runs/torch-smnist [--epochs 12]

The task's conventions (the same as mpgru's smnist): each image is 28 steps of 28 pixels (rows),
scaled to [0, 1]; training images 0..54999, validation 55000..59999, test the 10,000 t10k images.
The model: nn.GRU(28, 128, batch_first=True) and nn.Linear(128, 10) on the last step's hidden
state. Adam with a cosine learning rate, the epoch with the best validation accuracy kept.

Writes OUT/model.pt (torch.save(model.state_dict())) and OUT/metrics.json (validation and test
accuracy, correct counts, seconds). One torch thread and two OpenBLAS threads (the fastest
setting measured on 2 cores).
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
import torch  # noqa: E402  (after the thread setting)


class SmnistGru(torch.nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.gru = torch.nn.GRU(28, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.out(y[:, -1])


def read_idx(path, header_ints):
    with open(path, "rb") as f:
        data = f.read()
    offset = 4 * header_ints
    return torch.frombuffer(bytearray(data[offset:]), dtype=torch.uint8)


def load(data_dir):
    def images(name):
        return read_idx(os.path.join(data_dir, name), 4).view(-1, 28, 28).float() / 255.0

    def labels(name):
        return read_idx(os.path.join(data_dir, name), 2).long()

    train_x, train_y = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    test_x, test_y = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    return {
        "train": (train_x[:55000], train_y[:55000]),
        "validation": (train_x[55000:], train_y[55000:]),
        "test": (test_x, test_y),
    }


def correct(model, x, y, batch=1000):
    model.eval()
    n = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            n += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--out", default="runs/torch-smnist")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    splits = load(args.data)
    model = SmnistGru()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    train_x, train_y = splits["train"]
    steps = args.epochs * math.ceil(len(train_x) / args.batch)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=args.lr / 50)
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    best = -1
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x))
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            loss = torch.nn.functional.cross_entropy(model(train_x[idx]), train_y[idx])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
        val = correct(model, *splits["validation"])
        print(f"epoch {epoch}/{args.epochs}  val {100 * val / 5000:.2f}%  "
              f"{time.time() - start:.0f}s", flush=True)
        if val > best:
            best = val
            torch.save(model.state_dict(), os.path.join(args.out, "model.pt"))
    model.load_state_dict(torch.load(os.path.join(args.out, "model.pt")))
    test = correct(model, *splits["test"])
    metrics = {
        "val_correct": best, "val_count": 5000, "val_accuracy": best / 5000,
        "test_correct": test, "test_count": 10000, "test_accuracy": test / 10000,
        "epochs": args.epochs, "seed": args.seed, "seconds": time.time() - start,
        "torch": torch.__version__,
    }
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"test {100 * test / 10000:.2f}% ({test}/10000), {metrics['seconds']:.0f}s; "
          f"wrote {args.out}/model.pt and metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
