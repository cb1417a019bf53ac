"""Accuracy cost of non-ideal crossbar cells on protocol mnist-10k: stuck-at faults with
and without boosting, conductance levels, write nonlinearity and device variation.

Protocol mnist-10k (docs/protocols.md, as benchmarks/fixed_vs_float.py): the
10,000 MNIST test digits binarized as pixel > 30, anchor `mnist` config (seed 4),
fixed point with 8-bit permanences, one learning pass over digits 0..7999, test on
8000..9999 with learning off, LogisticRegression(C=0.1, max_iter=300) on the SDRs
(training features: the SDRs of the learning pass). The pooler reads its overlaps
through the crossbar from the start: `htmhw.crossbar.attach_device(sp, device, seed=1)`
(docs/crossbar.md "Non-idealities in the loop"). Boosting on = the anchor's
boostStrength 2.0 (inference with boosting, htm.core's rule), off = 0.0.

Studies (each row one full run):
  stuck      stuck-at rate {0, 1, 5, 10, 20 %} (half on, half off), boosting on and off,
             otherwise ideal cells (256 levels = one per permanence word);
  stuck-after  the same stuck-at rates appearing after training (field failures): the
             pooler learns with ideal cells, the classifier is fitted on those SDRs, then
             the faulty cells are attached and the test digits are inferred (no relearning,
             so boosting cannot recruit replacement columns);
  levels     conductance levels {2, 3, 4, 5, 8, 16, 32, 64, 256}, boosting on;
  variation  write nonlinearity (potentiation / depression nu), cycle-to-cycle sigma per
             pulse and device-to-device sigma, 256 levels,
             boosting on.

    python benchmarks/crossbar_faults.py [--mnist-dir DIR] [--studies stuck stuck-after levels variation]
        [--out-json FILE] [--out-png docs/crossbar_faults.png]

Prints Markdown tables (pasted into docs/crossbar.md) and writes the plot.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import htmhw
from htmhw.crossbar import Device, attach_device
from htmhw.metrics import protocol_classifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixed_vs_float import ANCHOR, N_TRAIN, accuracy  # noqa: E402  (one protocol definition)

BOOST_ON = 2.0
PERM_BITS = 8
IDEAL_LEVELS = 2 ** PERM_BITS
STUCK_RATES = (0.0, 0.01, 0.05, 0.1, 0.2)
LEVELS = (2, 3, 4, 5, 8, 16, 32, 64, 256)
VARIATION = (("ideal", {}),
             ("nonlinearity 1 / 1", dict(nonlinearity_ltp=1.0, nonlinearity_ltd=1.0)),
             ("nonlinearity 3 / 3", dict(nonlinearity_ltp=3.0, nonlinearity_ltd=3.0)),
             ("nonlinearity 2.4 / 4.88 (Ag:a-Si)", dict(nonlinearity_ltp=2.4, nonlinearity_ltd=4.88)),
             ("c2c 0.5 % per pulse", dict(c2c_sigma=0.005)), ("c2c 1 % per pulse", dict(c2c_sigma=0.01)),
             ("c2c 3.5 % per pulse (NeuroSim)", dict(c2c_sigma=0.035)),
             ("d2d 5 %", dict(d2d_sigma=0.05)), ("d2d 10 %", dict(d2d_sigma=0.1)), ("d2d 20 %", dict(d2d_sigma=0.2)),
             ("Ag:a-Si curves + c2c 3.5 %", dict(nonlinearity_ltp=2.4, nonlinearity_ltd=4.88, c2c_sigma=0.035)))


def run(X, labels, device: Device, boost_strength: float, seed: int = 1) -> dict:
    params = dict(ANCHOR, boost_strength=boost_strength, boost_in_inference=True)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=htmhw.HardwareConfig(permanence_bits=PERM_BITS), **params)
    attach_device(sp, device, seed)
    t0 = time.perf_counter()
    train = sp.compute(X[:N_TRAIN], learn=True, output="sparse")
    test = sp.infer(X[N_TRAIN:], output="sparse", n_threads=2)
    seconds = time.perf_counter() - t0
    acc = accuracy(train, labels[:N_TRAIN], test, labels[N_TRAIN:])
    ever_active = np.asarray((train.sum(axis=0) + test.sum(axis=0)) > 0).ravel().mean()
    return {"device": device.to_dict(), "boost_strength": boost_strength, "accuracy": acc,
            "columns_ever_active": float(ever_active), "sp_seconds": round(seconds, 1)}


def run_after(X, labels, boost_strength: float, rates, seed: int = 1) -> list:
    """One ideal learning pass and classifier, then each stuck-at rate attached to a copy of
    the trained pooler for inference only."""
    params = dict(ANCHOR, boost_strength=boost_strength, boost_in_inference=True)
    sp = htmhw.SpatialPooler(arithmetic="fixed", hw=htmhw.HardwareConfig(permanence_bits=PERM_BITS), **params)
    train = sp.compute(X[:N_TRAIN], learn=True, output="sparse")
    clf = protocol_classifier().fit(train, labels[:N_TRAIN])
    rows = []
    for rate in rates:
        device = stuck_device(rate)
        faulty = copy.deepcopy(sp)
        attach_device(faulty, device, seed)
        test = faulty.infer(X[N_TRAIN:], output="sparse", n_threads=2)
        # Refitting the classifier on the faulty pooler's training SDRs separates what the
        # SDRs lost from what only the classifier's mismatch costs.
        refit_train = faulty.infer(X[:N_TRAIN], output="sparse", n_threads=2)
        ever_active = np.asarray(test.sum(axis=0) > 0).ravel().mean()
        rows.append({"device": device.to_dict(), "boost_strength": boost_strength, "key": rate,
                     "accuracy": float(clf.score(test, labels[N_TRAIN:])),
                     "accuracy_classifier_refitted": accuracy(refit_train, labels[:N_TRAIN], test, labels[N_TRAIN:]),
                     "columns_ever_active": float(ever_active)})
    return rows


def stuck_device(rate: float) -> Device:
    return Device(levels=IDEAL_LEVELS, stuck_on_rate=rate / 2, stuck_off_rate=rate - rate / 2)


def main(argv=None):
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist-dir", default=os.path.join(os.environ.get("HTMHW_DATA", root.parent / "shared" / "data"),
                                                            "mnist"))
    parser.add_argument("--studies", nargs="+", choices=("stuck", "stuck-after", "levels", "variation"),
                        default=["stuck", "stuck-after", "levels", "variation"])
    parser.add_argument("--out-json", default=None)
    parser.add_argument("--out-png", default=str(root / "docs" / "crossbar_faults.png"))
    args = parser.parse_args(argv)
    images, labels = htmhw.datasets.load_mnist(args.mnist_dir)
    X = (images > 30).reshape(len(images), -1).astype(np.uint8)
    start = time.perf_counter()
    results = {"stuck": [], "stuck-after": [], "levels": [], "variation": []}

    def record(study, key, device, boost):
        r = dict(run(X, labels, device, boost), key=key)
        results[study].append(r)
        print(f"{study} {key} boost {boost}: accuracy {r['accuracy']:.4f} ({r['sp_seconds']} s)", flush=True)
        return r

    tables = []
    if "stuck" in args.studies:
        by = {}
        for boost in (BOOST_ON, 0.0):
            for rate in STUCK_RATES:
                by[(boost, rate)] = record("stuck", rate, stuck_device(rate), boost)["accuracy"]
        lines = ["| stuck-at cells | accuracy, boosting on (2.0) | loss vs 0 % | accuracy, boosting off | loss vs 0 % |",
                 "|---|---|---|---|---|"]
        for rate in STUCK_RATES:
            on, off = by[(BOOST_ON, rate)], by[(0.0, rate)]
            lines.append(f"| {rate:.0%} | {on:.2%} | {(by[(BOOST_ON, 0.0)] - on) * 100:.2f} pt | {off:.2%} | "
                         f"{(by[(0.0, 0.0)] - off) * 100:.2f} pt |")
        tables.append("\n".join(lines))
    if "stuck-after" in args.studies:
        by = {}
        for boost in (BOOST_ON, 0.0):
            for r in run_after(X, labels, boost, STUCK_RATES):
                results["stuck-after"].append(r)
                by[(boost, r["key"])] = r
                print(f"stuck-after {r['key']} boost {boost}: accuracy {r['accuracy']:.4f}, classifier refitted "
                      f"{r['accuracy_classifier_refitted']:.4f}", flush=True)
        lines = ["| stuck-at cells after training | boosting on (2.0) | loss vs 0 % | classifier refitted "
                 "| boosting off | loss vs 0 % | classifier refitted |", "|---|---|---|---|---|---|---|"]
        for rate in STUCK_RATES:
            cells = [f"| {rate:.0%} "]
            for boost in (BOOST_ON, 0.0):
                r, r0 = by[(boost, rate)], by[(boost, 0.0)]
                cells.append(f"| {r['accuracy']:.2%} | {(r0['accuracy'] - r['accuracy']) * 100:.2f} pt "
                             f"| {r['accuracy_classifier_refitted']:.2%} ")
            lines.append("".join(cells) + "|")
        tables.append("\n".join(lines))
    if "levels" in args.studies:
        lines = ["| conductance levels | accuracy (boosting on) |", "|---|---|"]
        for levels in LEVELS:
            r = record("levels", levels, Device(levels=levels), BOOST_ON)
            lines.append(f"| {levels} | {r['accuracy']:.2%} |")
        tables.append("\n".join(lines))
    if "variation" in args.studies:
        lines = ["| cells (256 levels, boosting on) | accuracy |", "|---|---|"]
        for name, kw in VARIATION:
            r = record("variation", name, Device(levels=IDEAL_LEVELS, **kw), BOOST_ON)
            lines.append(f"| {name} | {r['accuracy']:.2%} |")
        tables.append("\n".join(lines))
    print("\n\n".join(tables))
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.out_json:
        Path(args.out_json).write_text(json.dumps(results, indent=1))
    plot(results, args.out_png)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # The stuck panel holds both stuck-at studies (faults during and after training).
    panels = [k for k in ("stuck", "levels", "variation")
              if results[k] or (k == "stuck" and results["stuck-after"])]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    for ax, study in zip(axes[0], panels):
        rows = results[study]
        if study == "stuck":
            for boost, label in ((BOOST_ON, "boosting on (2.0)"), (0.0, "boosting off")):
                pts = [(r["key"] * 100, r["accuracy"] * 100) for r in rows if r["boost_strength"] == boost]
                if pts:
                    ax.plot(*zip(*pts), "o-", label=label + ", during training")
                after = [(r["key"] * 100, r["accuracy"] * 100) for r in results["stuck-after"]
                         if r["boost_strength"] == boost]
                if after:
                    ax.plot(*zip(*after), "s--", label=label + ", after training")
            ax.set_xlabel("stuck-at cells (%)")
            ax.legend(fontsize=7, loc="lower left")
        elif study == "levels":
            ax.plot([r["key"] for r in rows], [r["accuracy"] * 100 for r in rows], "o-")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("conductance levels")
        else:
            ax.barh([r["key"] for r in rows], [r["accuracy"] * 100 for r in rows])
            lo = min(r["accuracy"] for r in rows) * 100
            ax.set_xlim(max(0.0, lo - 2), 100)
            ax.invert_yaxis()
            ax.set_xlabel("accuracy (%)")
        if study != "variation":
            ax.set_ylabel("accuracy (%)")
        ax.set_title({"stuck": "stuck-at faults", "levels": "conductance levels",
                      "variation": "nonlinearity and variation"}[study])
    fig.suptitle("mnist-10k, 8-bit fixed point, SP reading through the crossbar")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
