"""Robustness and novelty detection of SP (float, fixed) and SOM codes on protocol mnist-10k.

Protocol mnist-10k (benchmarks/fixed_vs_float.py, docs/protocols.md): the 10,000
MNIST test digits binarized as pixel > 30; anchor `mnist` SP config with
boost_in_inference=True, one learning pass over digits 0..7999; the fixed-point SP uses
HardwareConfig(permanence_bits=8). The SOM encoder (32x32 rect map, 16 active units,
10 epochs, seed 1, as in docs/som.md) is trained on the same binarized training digits.

Part 1, input noise (test digits 8000..9999), each level in 0, 5, 10, 20, 30, 40, 50 %:
- flip: every pixel flipped independently with probability p (at 50 % the input carries
  no information);
- dropout: every active pixel turned off with probability p;
- swap: round(p k) of the k active pixels moved to random inactive positions (the number
  of active pixels is kept; the noise of the SP papers).
For each encoder: mean Jaccard |A & B| / |A | B| between the SDRs of the clean and the
noisy digit, and the accuracy of LogisticRegression(C=0.1, max_iter=300) trained on the
clean training codes (digits 0..7999) and tested on the noisy test codes. Raw pixels: the
same classifier on the pixels, and the Jaccard of the clean and noisy pixel sets.

Part 2, SDR damage (clean test codes): round(p k) random active bits removed, or
round(p k) random inactive bits added; Jaccard with the clean code and accuracy of the
same clean-trained classifier.

Part 3, novelty: for each held-out pair of classes (0,1), (2,3), (4,5), (6,7), (8,9), the
SPs and the SOM learn only the training digits of the other 8 classes; the test digits
8000..9999 of those 8 classes are the known set, those of the held-out pair the novel set.
Scores, ROC AUC (htmhw.novelty.roc_auc): SP overlap detector (OverlapNoveltyDetector over
the SDRs of the training digits, k = 1 and the mean of the top 10), the same detector on
raw pixel sets, the SOM's distance to the best-matching unit, scikit-learn's OneClassSVM
(nu 0.1, gamma "scale") and IsolationForest (200 trees, random_state 0) on raw pixels.

Part 4, the mHTM tools on the same protocol: htmhw.params.mle_permanence_steps of the
training digits (and their fixed-point steps), the accuracy of the anchor SP with its
synPermActiveInc / synPermInactiveDec replaced by the MLE steps (float and 8-bit fixed),
and the feature mapping of the learned anchor SP (input_probabilities, transform_prob,
reduce_dimensions): the same classifier on raw pixels, X * P and the reduced X.

Noise draws: numpy Generator(PCG64) with seed 2026 + a per-condition offset.

    python benchmarks/robustness.py [--mnist-dir DIR] [--update-doc docs/robustness.md]
        [--out-dir docs] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixed_vs_float import N_TRAIN, classifier, jaccard_rows, make_pooler  # noqa: E402  (protocol mnist-10k)

import htmhw  # noqa: E402
from htmhw.novelty import OverlapNoveltyDetector, roc_auc  # noqa: E402

LEVELS = (0.0, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50)
PERMANENCE_BITS = 8
SOM_PARAMS = dict(n_rows=32, n_cols=32, lattice="rect", n_active=16, n_epochs=10, random_state=1, n_threads=2)
NOISE_SEED = 2026
INFER_THREADS = 2
HELD_OUT = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
ENCODERS = ("pixels", "float SP", "fixed SP", "SOM")
BEGIN, END = "<!-- robustness:begin -->", "<!-- robustness:end -->"


# ---------------------------------------------------------------------------------------------
# noise
def flip(X, p, rng):
    return X ^ (rng.random(X.shape) < p)


def dropout(X, p, rng):
    return X & ~(rng.random(X.shape) < p)


def swap(X, p, rng):
    out = X.copy()
    for row in out:
        on, off = np.flatnonzero(row), np.flatnonzero(~row)
        m = min(int(round(p * on.size)), off.size)
        row[rng.choice(on, m, replace=False)] = False
        row[rng.choice(off, m, replace=False)] = True
    return out


INPUT_NOISE = {"flip": flip, "dropout": dropout, "swap": swap}


def damage(S: sparse.csr_matrix, p, rng, mode):
    """Remove or add round(p k) random bits per row of a boolean CSR matrix."""
    S = S.tocsr()
    rows = []
    width = S.shape[1]
    for i in range(S.shape[0]):
        on = S.indices[S.indptr[i]:S.indptr[i + 1]]
        m = int(round(p * on.size))
        if mode == "remove":
            rows.append(np.sort(rng.choice(on, on.size - m, replace=False)))
        else:
            off = np.setdiff1d(np.arange(width), on, assume_unique=True)
            rows.append(np.union1d(on, rng.choice(off, min(m, off.size), replace=False)))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([r.size for r in rows], out=indptr[1:])
    idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return sparse.csr_matrix((np.ones(idx.size, bool), idx, indptr), shape=S.shape)


# ---------------------------------------------------------------------------------------------
# encoders
def train_encoders(Xtr):
    """{name: encode(X bool) -> CSR bool}, after learning on Xtr; plus learn times."""
    encoders, times = {}, {}
    encoders["pixels"] = lambda X: sparse.csr_matrix(X)
    for name, bits in (("float SP", None), ("fixed SP", PERMANENCE_BITS)):
        sp = make_pooler(bits, boost_in_inference=True)
        t0 = time.perf_counter()
        sp.compute(Xtr, learn=True, output="sparse")
        times[name] = time.perf_counter() - t0
        encoders[name] = (lambda s: lambda X: s.infer(X, output="sparse", n_threads=INFER_THREADS).tocsr())(sp)
    som = htmhw.SOMEncoder(**SOM_PARAMS)
    t0 = time.perf_counter()
    som.fit(Xtr.astype(np.float32))
    times["SOM"] = time.perf_counter() - t0
    encoders["SOM"] = lambda X: (som.transform(X.astype(np.float32)) > 0).tocsr()
    return encoders, times, som


def mean_jaccard(a, b):
    return float(jaccard_rows(a.astype(bool), b.astype(bool)).mean())


def robustness(X, y, seed):
    Xtr, ytr, Xte, yte = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    encoders, learn_s, _ = train_encoders(Xtr)
    clean, clfs = {}, {}
    for name, enc in encoders.items():
        t0 = time.perf_counter()
        clfs[name] = classifier().fit(enc(Xtr), ytr)
        clean[name] = enc(Xte)
        print(f"  {name}: clean accuracy {clfs[name].score(clean[name], yte):.4f} "
              f"(classifier fit {time.perf_counter() - t0:.1f} s)", flush=True)
    res = {"learn_s": learn_s, "input": {}, "sdr": {},
           "mean_active": {k: float(np.diff(v.indptr).mean()) for k, v in clean.items()}}
    for t, (kind, fn) in enumerate(INPUT_NOISE.items()):
        rows = []
        for li, p in enumerate(LEVELS):
            Xn = fn(Xte, p, np.random.default_rng(seed + 100 * t + li))
            row = {"level": p}
            for name, enc in encoders.items():
                S = enc(Xn)
                row[name] = {"jaccard": mean_jaccard(clean[name], S), "accuracy": float(clfs[name].score(S, yte))}
            rows.append(row)
        res["input"][kind] = rows
        print(f"  input noise {kind} done", flush=True)
    for t, mode in enumerate(("remove", "add")):
        rows = []
        for li, p in enumerate(LEVELS):
            row = {"level": p}
            for name in ENCODERS[1:]:
                S = damage(clean[name], p, np.random.default_rng(seed + 1000 + 100 * t + li), mode)
                row[name] = {"jaccard": mean_jaccard(clean[name], S), "accuracy": float(clfs[name].score(S, yte))}
            rows.append(row)
        res["sdr"][mode] = rows
    return res


# ---------------------------------------------------------------------------------------------
# novelty
def novelty(X, y):
    from sklearn.ensemble import IsolationForest
    from sklearn.svm import OneClassSVM

    out = []
    Xte, yte = X[N_TRAIN:], y[N_TRAIN:]
    for pair in HELD_OUT:
        t0 = time.perf_counter()
        keep = ~np.isin(y[:N_TRAIN], pair)
        Xtr = X[:N_TRAIN][keep]
        known, novel = Xte[~np.isin(yte, pair)], Xte[np.isin(yte, pair)]
        encoders, _, som = train_encoders(Xtr)
        row = {"held_out": list(pair), "n_train": int(Xtr.shape[0]), "n_known": int(known.shape[0]),
               "n_novel": int(novel.shape[0])}
        for name in ("pixels", "float SP", "fixed SP"):
            enc = encoders[name]
            stored, Sk, Sn = enc(Xtr), enc(known), enc(novel)
            for k in (1, 10):
                det = OverlapNoveltyDetector(k=k, n_threads=2).fit(stored)
                row[f"{name} overlap k={k}"] = roc_auc(det.novelty_scores(Sk), det.novelty_scores(Sn))
        row["SOM BMU distance"] = roc_auc(som.novelty_scores(known.astype(np.float32))["bmu_distance"],
                                          som.novelty_scores(novel.astype(np.float32))["bmu_distance"])
        Xf = Xtr.astype(np.float32)
        ocsvm = OneClassSVM(nu=0.1, gamma="scale").fit(Xf)
        row["OneClassSVM (pixels)"] = roc_auc(-ocsvm.score_samples(known.astype(np.float32)),
                                              -ocsvm.score_samples(novel.astype(np.float32)))
        iso = IsolationForest(n_estimators=200, random_state=0).fit(Xf)
        row["IsolationForest (pixels)"] = roc_auc(-iso.score_samples(known.astype(np.float32)),
                                                  -iso.score_samples(novel.astype(np.float32)))
        row["seconds"] = time.perf_counter() - t0
        print(f"  novelty {pair}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()
                                                  if isinstance(v, float) and k != "seconds"), flush=True)
        out.append(row)
    return out


# ---------------------------------------------------------------------------------------------
# mHTM tools
def mhtm_tools(X, y):
    from htmhw.params import mle_permanence_steps

    Xtr, ytr, Xte, yte = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    mle = mle_permanence_steps(Xtr)
    out = {"active_fraction": mle.active_fraction, "scale": mle.scale, "inc": mle.syn_perm_active_inc,
           "dec": mle.syn_perm_inactive_dec, "fixed": {}, "accuracy": {}}
    for bits in (4, 6, 8, 10, 12):
        q = mle_permanence_steps(Xtr, permanence_bits=bits)
        out["fixed"][bits] = {"inc_q": q.inc_q, "dec_q": q.dec_q, "inc_rounds_to_zero": q.inc_rounds_to_zero,
                              "dec_rounds_to_zero": q.dec_rounds_to_zero}
    for steps in ("anchor", "MLE"):
        for name, bits in (("float SP", None), ("fixed SP", PERMANENCE_BITS)):
            sp = make_pooler(bits, boost_in_inference=True)
            if steps == "MLE":
                sp.set_param("syn_perm_active_inc", mle.syn_perm_active_inc)
                sp.set_param("syn_perm_inactive_dec", mle.syn_perm_inactive_dec)
            sp.compute(Xtr, learn=True, output="sparse")
            tr = sp.infer(Xtr, output="sparse", n_threads=INFER_THREADS)
            te = sp.infer(Xte, output="sparse", n_threads=INFER_THREADS)
            out["accuracy"][f"{name}, {steps} steps"] = float(classifier().fit(tr, ytr).score(te, yte))
            if steps == "anchor" and bits is None:
                anchor_sp = sp
    keep = anchor_sp.selected_inputs()
    P = anchor_sp.input_probabilities()
    out["feature_mapping"] = {
        "inputs_kept": int(keep.sum()), "inputs_in_some_pool": int(anchor_sp.potential().any(axis=0).sum()),
        "inputs_ever_active_in_training": int(Xtr.any(axis=0).sum()), "mean_P": float(P.mean()),
        "accuracy raw pixels": float(classifier().fit(Xtr, ytr).score(Xte, yte)),
        "accuracy X * P (transform_prob)": float(classifier().fit(anchor_sp.transform_prob(Xtr), ytr)
                                                 .score(anchor_sp.transform_prob(Xte), yte)),
        "accuracy reduced X (reduce_dimensions)": float(classifier().fit(anchor_sp.reduce_dimensions(Xtr), ytr)
                                                        .score(anchor_sp.reduce_dimensions(Xte), yte)),
    }
    print(f"  mHTM tools: {out}", flush=True)
    return out


# ---------------------------------------------------------------------------------------------
# report
def pct(p):
    return f"{100 * p:.0f} %"


def input_table(rows, encoders):
    head = "| noise | " + " | ".join(f"Jaccard {e}" for e in encoders) + " | " + \
        " | ".join(f"accuracy {e}" for e in encoders) + " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(encoders))]
    for r in rows:
        lines.append(f"| {pct(r['level'])} | " + " | ".join(f"{r[e]['jaccard']:.3f}" for e in encoders) + " | " +
                     " | ".join(f"{100 * r[e]['accuracy']:.2f} %" for e in encoders) + " |")
    return "\n".join(lines)


def novelty_table(rows):
    keys = [k for k in rows[0] if k not in ("held_out", "n_train", "n_known", "n_novel", "seconds")]
    lines = ["| held-out classes | known / novel test digits | " + " | ".join(keys) + " |",
             "|" + "---|" * (2 + len(keys))]
    for r in rows:
        lines.append(f"| {r['held_out'][0]}, {r['held_out'][1]} | {r['n_known']} / {r['n_novel']} | " +
                     " | ".join(f"{r[k]:.3f}" for k in keys) + " |")
    means = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    best = max(means.values())
    lines.append("| **mean** | | " + " | ".join((f"**{means[k]:.3f}**" if means[k] == best else f"{means[k]:.3f}")
                                              for k in keys) + " |")
    return "\n".join(lines)


def markdown(res, command, runtime_s):
    rob = res["robustness"]
    parts = [f"Command: `{command}` ({runtime_s / 60:.1f} min on the 2-core machine, shared with other jobs).", ""]
    parts.append("Mean active bits per clean test code: " + ", ".join(
        f"{k} {v:.0f}" for k, v in rob["mean_active"].items()) + ".")
    parts.append("")
    parts.append("Learning one pass over 8,000 digits: " + ", ".join(
        f"{k} {v:.2f} s" for k, v in rob["learn_s"].items()) + ".")
    titles = {"flip": "Input bit-flip noise (each pixel flipped with probability p)",
              "dropout": "Input dropout (each active pixel turned off with probability p)",
              "swap": "Input swap noise (a fraction p of the active pixels moved to random inactive pixels)"}
    for kind, rows in rob["input"].items():
        parts += ["", f"### {titles[kind]}", "", input_table(rows, ENCODERS)]
    titles = {"remove": "SDR damage: a fraction p of the active bits removed",
              "add": "SDR damage: p x (active bits) random inactive bits added"}
    for mode, rows in rob["sdr"].items():
        parts += ["", f"### {titles[mode]}", "", input_table(rows, ENCODERS[1:])]
    parts += ["", "![input noise](robustness_input.png)", "", "![SDR damage](robustness_sdr.png)", ""]
    parts += ["### Novelty detection: ROC AUC, 8 classes learned, 2 held out", "",
              novelty_table(res["novelty"]), "", "![novelty](robustness_novelty.png)", ""]
    m = res["mhtm"]
    parts += ["### mHTM tools on mnist-10k", "",
              f"MLE steps of the 8,000 training digits: a = {m['active_fraction']:.4f}, s = {m['scale']:.5f}, "
              f"synPermActiveInc = s / a = {m['inc']:.4f}, synPermInactiveDec = s / (1 - a) = {m['dec']:.5f} "
              "(anchor: 0.14 and 0.002).", "",
              "| permanence bits | inc_q | dec_q | inc rounds to 0 | dec rounds to 0 |", "|---|---|---|---|---|"]
    for bits, q in m["fixed"].items():
        parts.append(f"| {bits} | {q['inc_q']} | {q['dec_q']} | {q['inc_rounds_to_zero']} | {q['dec_rounds_to_zero']} |")
    parts += ["", "| SP | accuracy |", "|---|---|"]
    parts += [f"| {k} | {100 * v:.2f} % |" for k, v in m["accuracy"].items()]
    fm = m["feature_mapping"]
    parts += ["", f"Feature mapping of the learned anchor float SP: {fm['inputs_kept']} of 784 inputs have "
              f"P >= synPermConnected ({fm['inputs_in_some_pool']} are in some potential pool, "
              f"{fm['inputs_ever_active_in_training']} are ever active in the training digits); mean P "
              f"{fm['mean_P']:.3f}.", "", "| features | accuracy |", "|---|---|"]
    parts += [f"| {k.replace('accuracy ', '')} | {100 * v:.2f} % |" for k, v in fm.items() if k.startswith("accuracy")]
    parts.append("")
    return "\n".join(parts)


def figures(res, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rob = res["robustness"]
    colors = dict(zip(ENCODERS, ("0.4", "tab:blue", "tab:orange", "tab:green")))
    paths = []
    for name, groups, encs in (("input", rob["input"], ENCODERS), ("sdr", rob["sdr"], ENCODERS[1:])):
        fig, axes = plt.subplots(2, len(groups), figsize=(4 * len(groups), 6.5), squeeze=False)
        for j, (kind, rows) in enumerate(groups.items()):
            lv = [100 * r["level"] for r in rows]
            for i, metric in enumerate(("jaccard", "accuracy")):
                ax = axes[i, j]
                for e in encs:
                    ax.plot(lv, [r[e][metric] for r in rows], "o-", ms=3, color=colors[e], label=e)
                ax.set_xlabel(f"{kind} noise, %" if name == "input" else f"bits {kind}d, % of active")
                ax.set_ylabel("Jaccard with clean code" if metric == "jaccard" else "accuracy (clean-trained)")
                ax.set_ylim(0, 1.02)
                ax.grid(alpha=0.3)
        axes[0, 0].legend(fontsize=8)
        fig.tight_layout()
        path = Path(out_dir) / f"robustness_{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    rows = res["novelty"]
    keys = [k for k in rows[0] if k not in ("held_out", "n_train", "n_known", "n_novel", "seconds")]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(keys)
    for i, k in enumerate(keys):
        ax.bar(np.arange(len(rows)) + i * width, [r[k] for r in rows], width, label=k)
    ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2)
    ax.set_xticklabels([f"held out {r['held_out'][0]},{r['held_out'][1]}" for r in rows])
    ax.axhline(0.5, color="k", lw=0.8, ls=":")
    ax.set_ylim(0.3, 1.15)  # headroom so the legend covers no bar
    ax.set_ylabel("ROC AUC")
    ax.legend(fontsize=7, ncol=5, loc="upper center")
    fig.tight_layout()
    path = Path(out_dir) / "robustness_novelty.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    return paths


def main(argv=None):
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist-dir", default=os.path.join(os.environ.get("HTMHW_DATA", root.parent / "shared" / "data"),
                                                            "mnist"))
    parser.add_argument("--out-dir", type=Path, default=root / "docs", help="where the robustness_*.png go")
    parser.add_argument("--update-doc", type=Path, default=None, help="Markdown file to update (docs/robustness.md)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--skip-novelty", action="store_true", help="only parts 1 and 2")
    args = parser.parse_args(argv)
    t_start = time.perf_counter()
    images, labels = htmhw.datasets.load_mnist(args.mnist_dir)
    X = htmhw.datasets.binarize(images, 30).reshape(len(images), -1).astype(bool)
    y = np.asarray(labels)
    print("robustness (parts 1, 2)", flush=True)
    res = {"robustness": robustness(X, y, NOISE_SEED)}
    if not args.skip_novelty:
        print("novelty (part 3)", flush=True)
        res["novelty"] = novelty(X, y)
        print("mHTM tools (part 4)", flush=True)
        res["mhtm"] = mhtm_tools(X, y)
    runtime = time.perf_counter() - t_start
    res["runtime_s"] = runtime
    shown = [a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("--mnist-dir")]
    command = "python benchmarks/robustness.py" + (" " + shlex.join(shown) if shown else "")
    res["command"] = command
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    if args.skip_novelty:
        print(json.dumps(res["robustness"], indent=1))
        return
    args.out_dir.mkdir(parents=True, exist_ok=True)
    figures(res, args.out_dir)
    md = markdown(res, command, runtime)
    print(md)
    if args.update_doc:
        text = args.update_doc.read_text() if args.update_doc.exists() else f"{BEGIN}\n{END}\n"
        if BEGIN not in text or END not in text:
            raise SystemExit(f"{args.update_doc}: no {BEGIN} ... {END} section to replace")
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        args.update_doc.write_text(f"{head}{BEGIN}\n{md}{END}{tail}")


if __name__ == "__main__":
    main()
