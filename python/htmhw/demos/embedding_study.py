"""SDRs from dense embeddings (docs/som.md, "Study: SDRs of dense embeddings"): a SOM encoder
on offline embeddings of the MNIST test digits (PCA or an MLP's hidden layer), and what its
SDRs show: class maps, the spread of single-concept, mixed and out-of-distribution inputs
(with ROC AUC), union and intersection on the grid, and nearest-neighbour retrieval under
bit flips and dropped bits. benchmarks/som_embedding_study.py runs it at full scale,
`htmhw demo som --dataset mnist-pca` at a small one."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..datasets import mnist_embeddings
from ..novelty import roc_auc
from ..sdr import add_noise, drop_bits, nearest_sdrs, pack_sdrs
from ..som import SOMEncoder, _pyplot, plot_grid, plot_sdrs
from .som_study import novelty_sets

NOISE_FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
SPREAD_SCORES = ("bmu_distance", "mean_pairwise_distance", "n_blobs")


def _dense(encoder, units) -> np.ndarray:
    """(n, n_units) bool SDRs from the (n, K) unit indices of ``encode``."""
    out = np.zeros((len(units), encoder.n_units_), dtype=bool)
    np.put_along_axis(out, units, True, axis=1)
    return out


def _mixed(X, y, rng, n):
    """n unit-norm means of two embeddings of different classes, and the two classes."""
    a = rng.integers(0, len(X), size=4 * n)
    b = rng.integers(0, len(X), size=4 * n)
    keep = np.flatnonzero(y[a] != y[b])[:n]
    a, b = a[keep], b[keep]
    m = X[a].astype(np.float64) + X[b]
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m.astype(np.float32), y[a], y[b]


def _top_classes(sdrs, class_maps, k):
    """Per SDR, the k classes whose mean activation map it overlaps most (ties: lower class)."""
    scores = sdrs.astype(np.float64) @ class_maps.T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _retrieval(db_packed, y_train, queries, y_test, n_threads):
    idx, _ = nearest_sdrs(db_packed, pack_sdrs(queries), 1, n_threads)
    return float(np.mean(y_train[idx[:, 0].astype(np.int64)] == y_test))


def run_embedding_study(out_dir, method="pca", dims=64, n_train=8000, n_test=2000, n_rows=32, n_cols=32,
                        n_active=16, n_epochs=10, lattice="hex", seed=1, n_threads=2, mnist_dir=None) -> dict:
    """Embed, train, measure, draw (som_emb_*.png in ``out_dir``); returns the results dict.
    The embedding is fitted on the training digits only (the first ``n_train``); the test
    digits are the ``n_test`` after them."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if n_train < 100 or n_test < 10 or n_train + n_test > 10000:
        raise ValueError(f"n_train >= 100 and n_test >= 10 with n_train + n_test <= 10000; got {n_train} + {n_test}")
    t0 = time.perf_counter()
    X, y, what, embed = mnist_embeddings(method, dims, n_train, seed, mnist_dir, return_embedder=True)
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:n_train + n_test], y[n_train:n_train + n_test]
    encoder = SOMEncoder(n_rows=n_rows, n_cols=n_cols, lattice=lattice, n_epochs=n_epochs, n_active=n_active,
                         random_state=seed, n_threads=n_threads).fit(Xtr)
    rng = np.random.default_rng(seed)
    result = {"embedding": what, "n_train": int(n_train), "n_test": int(n_test),
              "map": f"{n_rows}x{n_cols} {lattice}", "n_active": int(n_active), "n_epochs": int(n_epochs),
              "seed": int(seed), "quantization_error": encoder.quantization_error_,
              "topographic_error": encoder.topographic_error_}
    train_sdr = _dense(encoder, encoder.encode(Xtr)[0])
    test_sdr = _dense(encoder, encoder.encode(Xte)[0])
    classes = np.unique(ytr)
    class_maps = np.array([train_sdr[ytr == c].mean(axis=0) for c in classes])

    # Spread of single-concept, mixed and out-of-distribution inputs.
    from ..datasets import load_mnist, require_mnist_dir

    images, _ = load_mnist(require_mnist_dir(mnist_dir))
    test_pixels = images.reshape(len(images), -1)[n_train:n_train + n_test] / 255.0
    mixed, mixed_a, mixed_b = _mixed(Xte, yte, rng, n_test)
    sets = {"test digits": Xte, "mixed (two classes)": mixed}
    sets.update({name: embed(p) for name, p in novelty_sets(test_pixels, seed).items()})
    sets["random directions"] = (lambda g: (g / np.linalg.norm(g, axis=1, keepdims=True)).astype(np.float32))(
        rng.normal(size=(n_test, Xte.shape[1])))
    scores = {name: encoder.novelty_scores(x) for name, x in sets.items()}
    result["spread"] = {name: {k: float(np.mean(v)) for k, v in s.items()} for name, s in scores.items()}
    result["ood_auc"] = {name: {k: roc_auc(scores["test digits"][k], scores[name][k]) for k in SPREAD_SCORES}
                         for name in sets if name != "test digits"}

    # Union and intersection on the grid, and what they keep.
    mixed_sdr = _dense(encoder, encoder.encode(mixed)[0])
    pairs_diff = rng.integers(0, n_test, size=(4 * n_test, 2))
    pairs_diff = pairs_diff[yte[pairs_diff[:, 0]] != yte[pairs_diff[:, 1]]][:n_test]
    pairs_same = np.array([(i, rng.choice(np.flatnonzero((yte == yte[i]) & (np.arange(n_test) != i))))
                           for i in range(n_test)])
    union = test_sdr[pairs_diff[:, 0]] | test_sdr[pairs_diff[:, 1]]
    inter_same = test_sdr[pairs_same[:, 0]] & test_sdr[pairs_same[:, 1]]
    inter_diff = test_sdr[pairs_diff[:, 0]] & test_sdr[pairs_diff[:, 1]]
    top2_union = _top_classes(union, class_maps, 2)
    want = np.sort(np.stack([yte[pairs_diff[:, 0]], yte[pairs_diff[:, 1]]], axis=1), axis=1)
    top2_mixed = _top_classes(mixed_sdr, class_maps, 2)
    want_mixed = np.sort(np.stack([mixed_a, mixed_b], axis=1), axis=1)
    nonempty = inter_same.any(axis=1)
    top1_inter = _top_classes(inter_same[nonempty], class_maps, 1)[:, 0]
    single_top1 = _top_classes(test_sdr, class_maps, 1)[:, 0]
    result["union_intersection"] = {
        "single_top1_is_class": float(np.mean(classes[single_top1] == yte)),
        "union_size_mean": float(union.sum(axis=1).mean()),
        "union_top2_are_both_classes": float(np.mean(np.all(np.sort(classes[top2_union], axis=1) == want, axis=1))),
        "mixed_embedding_top2_are_both_classes":
            float(np.mean(np.all(np.sort(classes[top2_mixed], axis=1) == want_mixed, axis=1))),
        "intersection_same_class_size_mean": float(inter_same.sum(axis=1).mean()),
        "intersection_different_class_size_mean": float(inter_diff.sum(axis=1).mean()),
        "intersection_same_class_nonempty": float(nonempty.mean()),
        "intersection_same_class_top1_is_class":
            float(np.mean(classes[top1_inter] == yte[pairs_same[nonempty, 0]])) if nonempty.any() else float("nan"),
    }

    # Nearest-neighbour retrieval under bit flips (active bits moved) and dropped bits.
    db = pack_sdrs(train_sdr)
    result["robustness"] = {
        "fractions": list(NOISE_FRACTIONS),
        "nn_accuracy_flipped": [_retrieval(db, ytr, add_noise(test_sdr, f, seed + 10), yte, n_threads)
                                for f in NOISE_FRACTIONS],
        "nn_accuracy_dropped": [_retrieval(db, ytr, drop_bits(test_sdr, f, seed + 20), yte, n_threads)
                                for f in NOISE_FRACTIONS],
    }
    result["figures"] = _figures(out_dir, encoder, test_sdr, yte, sets, scores, pairs_diff, pairs_same, result)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    (out_dir / "som_emb.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _figures(out_dir, encoder, test_sdr, yte, sets, scores, pairs_diff, pairs_same, result):
    plt = _pyplot()
    rows, cols, lattice = encoder.n_rows, encoder.n_cols, encoder.lattice
    paths = []
    path = out_dir / "som_emb_class_maps.png"
    plot_sdrs(test_sdr, rows, cols, lattice, labels=yte, n_show=8, path=path)
    paths.append(str(path))

    names = list(sets)
    fig, axes = plt.subplots(2, len(names), figsize=(2.1 * len(names), 4.6))
    for j, name in enumerate(names):
        units, _ = encoder.encode(sets[name][:1])
        plot_grid(_dense(encoder, units)[0], rows, cols, lattice, ax=axes[0, j], cmap="gray_r", vmin=0, vmax=1,
                  title=name)
        axes[1, j].hist(scores[name]["mean_pairwise_distance"], bins=30, color="C0")
        axes[1, j].set_xlabel("mean pairwise grid distance", fontsize=7)
        axes[1, j].tick_params(labelsize=6)
    fig.suptitle("spread of one SDR: an example per input kind (top) and the distribution of the mean grid "
                 "distance between its active units (bottom)", fontsize=9)
    fig.tight_layout()
    path = out_dir / "som_emb_spread.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    paths.append(str(path))

    fig, axes = plt.subplots(2, 4, figsize=(8.4, 4.6))
    same = next((p for p in pairs_same if (test_sdr[p[0]] & test_sdr[p[1]]).any()), pairs_same[0])
    for row, (a, b) in enumerate((pairs_diff[0], same)):
        panels = ((test_sdr[a], f"digit {yte[a]}"), (test_sdr[b], f"digit {yte[b]}"),
                  (test_sdr[a] | test_sdr[b], "union"),
                  (test_sdr[a] & test_sdr[b], f"intersection ({int((test_sdr[a] & test_sdr[b]).sum())} units)"))
        for k, (img, title) in enumerate(panels):
            plot_grid(img, rows, cols, lattice, ax=axes[row, k], cmap="gray_r", vmin=0, vmax=1, title=title)
    fig.suptitle("union and intersection on the grid: two digits of different classes (top), of one class "
                 "(bottom)", fontsize=9)
    fig.tight_layout()
    path = out_dir / "som_emb_union_intersection.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    paths.append(str(path))

    r = result["robustness"]
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    ax.plot(r["fractions"], r["nn_accuracy_flipped"], "o-", label="active bits moved (flips)")
    ax.plot(r["fractions"], r["nn_accuracy_dropped"], "s-", label="active bits dropped")
    ax.set_xlabel("fraction of active bits")
    ax.set_ylabel("1-NN retrieval accuracy (label)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("nearest training SDR by overlap, under noise", fontsize=9)
    fig.tight_layout()
    path = out_dir / "som_emb_robustness.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    paths.append(str(path))
    return paths


def embedding_study_markdown(result, command) -> str:
    """The study's tables (Markdown), as docs/som.md shows them."""
    lines = [f"Embedding: {result['embedding']}. Map {result['map']}, K = {result['n_active']}, "
             f"{result['n_epochs']} epochs, trained on {result['n_train']} digits, measured on the next "
             f"{result['n_test']}. QE {result['quantization_error']:.4f}, TE {result['topographic_error']:.4f}. "
             f"Command: `{command}`.", "",
             "| input | mean BMU distance | mean pairwise grid distance | connected blobs | "
             "OOD ROC AUC (BMU / pairwise / blobs) |", "|---|---|---|---|---|"]
    for name, s in result["spread"].items():
        auc = result["ood_auc"].get(name)
        auc_text = "" if auc is None else " / ".join(f"{auc[k]:.3f}" for k in SPREAD_SCORES)
        lines.append(f"| {name} | {s['bmu_distance']:.4f} | {s['mean_pairwise_distance']:.3f} | "
                     f"{s['n_blobs']:.2f} | {auc_text} |")
    u = result["union_intersection"]
    lines += ["", "| union / intersection | value |", "|---|---|",
              f"| one SDR: its most-overlapped class map is its class | {u['single_top1_is_class']:.3f} |",
              f"| union of two digits of different classes: active units | {u['union_size_mean']:.1f} |",
              f"| union: the two most-overlapped class maps are both classes | "
              f"{u['union_top2_are_both_classes']:.3f} |",
              f"| SDR of the mean embedding of two classes: top-2 class maps are both | "
              f"{u['mixed_embedding_top2_are_both_classes']:.3f} |",
              f"| intersection, same class / different classes: active units | "
              f"{u['intersection_same_class_size_mean']:.2f} / {u['intersection_different_class_size_mean']:.2f} |",
              f"| intersection of two same-class SDRs: non-empty; its top class map is the class | "
              f"{u['intersection_same_class_nonempty']:.3f}; {u['intersection_same_class_top1_is_class']:.3f} |"]
    r = result["robustness"]
    lines += ["", "| fraction of active bits | " + " | ".join(f"{f:g}" for f in r["fractions"]) + " |",
              "|---" * (len(r["fractions"]) + 1) + "|",
              "| 1-NN accuracy, bits moved | " + " | ".join(f"{a:.3f}" for a in r["nn_accuracy_flipped"]) + " |",
              "| 1-NN accuracy, bits dropped | " + " | ".join(f"{a:.3f}" for a in r["nn_accuracy_dropped"]) + " |"]
    return "\n".join(lines) + "\n"
