"""Protocol mnist-10k (docs/protocols.md) with the float SP.

Train on MNIST test digits 0..7999 (one learning pass, anchor `mnist` config), test
on 8000..9999 with learning off; LogisticRegression(C=0.1, max_iter=300) on the SDRs
(training features: the SDRs computed during the learning pass, as the anchors do,
and also the SDRs of the learned SP) and on raw pixels (> 30). Runs NuPIC's semantics (boosting only while learning) and
htm.core's (boost_in_inference=True).

    python benchmarks/mnist_10k.py [--mnist-dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import htmhw
from htmhw.metrics import protocol_classifier
from htmhw.configs import named_config

ANCHOR = named_config("mnist")  # docs/protocols.md config "mnist" (htmhw.configs)


def main():
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist-dir", default=os.path.join(os.environ.get("HTMHW_DATA", root.parent / "shared" / "data"), "mnist"))
    args = parser.parse_args()
    images, labels = htmhw.datasets.load_mnist(args.mnist_dir)
    X = (images > 30).reshape(len(images), -1).astype(np.uint8)
    results = {}
    for boost_in_inference in (False, True):
        results[f"boost_in_inference={boost_in_inference}"] = run(X, labels, boost_in_inference)
    print(json.dumps(results, indent=2))


def run(X, labels, boost_in_inference):
    sp = htmhw.SpatialPooler(**ANCHOR, boost_in_inference=boost_in_inference)
    t0 = time.perf_counter()
    train_pass = sp.compute(X[:8000], learn=True, output="sparse")
    learn_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    test = sp.infer(X[8000:], output="sparse")
    infer_s = time.perf_counter() - t0
    train_after = sp.infer(X[:8000], output="sparse")
    clf = protocol_classifier
    out = {
        "accuracy_sdr_learning_pass_features": clf().fit(train_pass, labels[:8000]).score(test, labels[8000:]),
        "accuracy_sdr_learned_sp_features": clf().fit(train_after, labels[:8000]).score(test, labels[8000:]),
        "accuracy_raw_pixels": clf().fit(X[:8000], labels[:8000]).score(X[8000:], labels[8000:]),
        "learn_steps_per_s": 8000 / learn_s,
        "infer_steps_per_s": 2000 / infer_s,
        "mean_active_columns_test": float(test.sum(axis=1).mean()),
    }
    return out


if __name__ == "__main__":
    main()
