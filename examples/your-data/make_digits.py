#!/usr/bin/python3
"""Writes a data file for mpgru from a real data set nobody here made: the UCI handwritten digits
that Debian's python3-sklearn ships (1,797 images of 8 x 8 pixels, values 0..16, 10 classes).

    examples/your-data/make_digits.py OUT.npz

Each image becomes a sequence of 8 steps (its rows, top first) of 8 features (the pixels / 16, so
in [0, 1]). The splits are a seeded permutation: 1,077 train, 360 validation, 360 test. Also
writes OUT.npz.json, the metadata mpgru shows (description, features, class names).
"""
import json
import sys

import numpy as np
from sklearn.datasets import load_digits


def main(out):
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)  # [1797, 8, 8]: sequences, steps, features
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    train, val, test = order[:1077], order[1077:1437], order[1437:]
    np.savez(out, x_train=x[train], y_train=y[train], x_validation=x[val], y_validation=y[val],
             x_test=x[test], y_test=y[test])
    meta = {"description": "UCI handwritten digits (scikit-learn load_digits), row by row",
            "features": "one image row per step, top row first: 8 pixels, each value / 16 "
                        "(0 white .. 1 black)",
            "class_names": [str(c) for c in range(10)]}
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=2)
    print(f"wrote {out}: {len(train)} train / {len(val)} validation / {len(test)} test sequences "
          f"of 8 steps x 8 features, and {out}.json")


if __name__ == "__main__":
    main(sys.argv[1])
