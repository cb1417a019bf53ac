"""The SOM encoder study of docs/som.md (benchmarks/som_study.py at full scale, `htmhw demo som`
at a small one): map quality, SDR class structure, and novelty detection."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from ..som import SOMEncoder, _pyplot, plot_class_averages, plot_hit_map, plot_sdr, plot_u_matrix


def _load_study_data(dataset, mnist_dir, option="mnist_dir"):
    """(X in [0, 1], y, image shape, description). MNIST is found as by load_mnist (a named
    mnist_dir without the files is an error, not a fallback to the digits)."""
    from ..datasets import load_mnist

    if dataset not in ("mnist", "digits"):
        raise ValueError(f"dataset must be 'mnist' or 'digits'; got {dataset!r}")
    if dataset == "mnist":
        from ..datasets import find_mnist_dir

        images, labels = load_mnist(find_mnist_dir(mnist_dir, option=option))
        return images.reshape(len(images), -1) / 255.0, labels, (28, 28), "MNIST test digits (pixels / 255)"
    d = load_digits()
    return d.data / 16.0, d.target.astype(np.int64), (8, 8), "scikit-learn 8x8 digits (values / 16)"


def load_digits():
    from sklearn.datasets import load_digits as _ld

    return _ld()


def sdr_overlap_stats(sdr_test, y_test, sdr_train, y_train):
    """Mean overlap (shared active units) of same-class and different-class test pairs,
    and 1-nearest-neighbour accuracy by overlap (ties: the lowest training index)."""
    A = sparse.csr_matrix(sdr_test, dtype=np.float64)
    A.data[:] = 1.0
    B = sparse.csr_matrix(sdr_train, dtype=np.float64)
    B.data[:] = 1.0
    O = (A @ A.T).toarray()
    same = y_test[:, None] == y_test[None, :]
    off = ~np.eye(len(y_test), dtype=bool)
    nn = np.asarray((A @ B.T).toarray().argmax(axis=1)).ravel()
    return {
        "overlap_same_class": float(O[same & off].mean()),
        "overlap_different_class": float(O[~same].mean()),
        "nn_accuracy_sdr_overlap": float(np.mean(y_train[nn] == y_test)),
    }


def novelty_sets(X_in, seed):
    """Out-of-distribution sets built from in-distribution samples X_in (values in [0, 1]):
    uniform noise, inverted (1 - x), and pixel-shuffled (each sample's values permuted)."""
    rng = np.random.default_rng(seed)
    shuffled = np.array([row[rng.permutation(len(row))] for row in X_in])
    return {"uniform noise": rng.random(X_in.shape), "inverted": 1.0 - X_in, "pixel-shuffled": shuffled}


def run_study(out_dir, dataset="mnist", mnist_dir=None, n_train=8000, n_test=2000, n_rows=32, n_cols=32,
              n_active=16, n_epochs=10, lattices=("rect", "hex"), seed=1, n_threads=2, quiet=True,
              option="mnist_dir"):
    """Train maps, measure, write figures (som_*.png) to out_dir; returns the results dict.
    ``option``: how an error names ``mnist_dir`` (the CLI passes ``--mnist-dir``)."""
    import time
    from pathlib import Path

    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import KNeighborsClassifier

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    X, y, shape, desc = _load_study_data(dataset, mnist_dir, option)
    if n_train < 1 or n_test < 1 or n_train + n_test > len(X):
        raise ValueError(f"n_train and n_test must be >= 1 with n_train + n_test <= {len(X)} ({desc}); "
                         f"got {n_train} + {n_test}")
    Xtr, ytr = X[:n_train], y[:n_train]
    Xte, yte = X[n_train:n_train + n_test], y[n_train:n_train + n_test]
    ood = novelty_sets(Xte, seed)
    result = {"dataset": desc, "n_train": int(n_train), "n_test": int(n_test), "map": f"{n_rows}x{n_cols}",
              "n_active": int(n_active), "n_epochs": int(n_epochs), "seed": int(seed), "n_threads": int(n_threads),
              "schedule": f"batch, radius {max(n_rows, n_cols) / 2:g} -> 1 linear, gaussian sigma = 0.5 radius",
              "maps": {}}
    knn = KNeighborsClassifier(n_neighbors=1).fit(Xtr, ytr)
    result["nn_accuracy_raw_euclidean"] = float(knn.score(Xte, yte))
    encoders = {}
    for lattice in lattices:
        enc = SOMEncoder(n_rows=n_rows, n_cols=n_cols, lattice=lattice, n_epochs=n_epochs, n_active=n_active,
                         random_state=seed, n_threads=n_threads)
        t0 = time.perf_counter()
        enc.fit(Xtr)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sdr_te = enc.transform(Xte)
        enc_s = time.perf_counter() - t0
        sdr_tr = enc.transform(Xtr)
        r = {"fit_s": round(fit_s, 3), "train_samples_per_s": round(n_train * n_epochs / fit_s, 1),
             "encode_samples_per_s": round(n_test / enc_s, 1),
             "qe_train": round(enc.quantization_error_, 4), "te_train": round(enc.topographic_error_, 4),
             "qe_test": round(enc.quantization_error(Xte), 4), "te_test": round(enc.topographic_error(Xte), 4)}
        r.update({k: round(v, 4) for k, v in sdr_overlap_stats(sdr_te, yte, sdr_tr, ytr).items()})
        s_in = enc.novelty_scores(Xte)
        auc = {}
        scores_by_set = {"in-distribution": s_in}
        for name, Xo in ood.items():
            s_out = enc.novelty_scores(Xo)
            scores_by_set[name] = s_out
            labels = np.r_[np.zeros(len(Xte)), np.ones(len(Xo))]
            auc[name] = {k: round(float(roc_auc_score(labels, np.r_[s_in[k], s_out[k]])), 4) for k in s_in}
        r["novelty_auc"] = auc
        result["maps"][lattice] = r
        encoders[lattice] = (enc, scores_by_set)
        if not quiet:
            print(f"  {lattice}: QE {r['qe_test']}, TE {r['te_test']}, 1-NN by overlap {r['nn_accuracy_sdr_overlap']}")
    result["figures"] = _study_figures(out_dir, encoders, Xtr, Xte, yte, ood, shape)
    return result


def _study_figures(out_dir, encoders, Xtr, Xte, yte, ood, shape):
    plt = _pyplot()
    paths = []
    # U-matrix and hit map of every map
    fig, axes = plt.subplots(len(encoders), 2, figsize=(7.5, 3.5 * len(encoders)), squeeze=False)
    for i, (lattice, (enc, _)) in enumerate(encoders.items()):
        plot_u_matrix(enc, ax=axes[i, 0], title=f"{lattice}: U-matrix")
        plot_hit_map(enc, Xtr, ax=axes[i, 1], title=f"{lattice}: hit map (training digits)")
    fig.tight_layout()
    paths.append(out_dir / "som_maps.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    for lattice, (enc, _scores) in encoders.items():
        p = out_dir / f"som_class_average_{lattice}.png"
        plot_class_averages(enc, Xte, yte, path=p)
        paths.append(p)
    # examples: an input and its SDR for each set (first map)
    lattice, (enc, scores) = next(iter(encoders.items()))
    sets = {"digit": Xte, **ood}
    fig, axes = plt.subplots(2, 2 * len(sets), figsize=(1.9 * 2 * len(sets), 4.4),
                             gridspec_kw=dict(wspace=0.08, hspace=0.15, left=0.01, right=0.99, bottom=0.02, top=0.86))
    for j, (name, Xs) in enumerate(sets.items()):
        for i in range(2):
            ax_in, ax_sdr = axes[i, 2 * j], axes[i, 2 * j + 1]
            ax_in.imshow(Xs[i].reshape(shape), cmap="gray_r", vmin=0, vmax=1)
            ax_in.set_xticks([])
            ax_in.set_yticks([])
            plot_sdr(enc, enc.transform(Xs[i:i + 1]), ax=ax_sdr)
            if i == 0:
                ax_in.set_title(name, fontsize=9)
                ax_sdr.set_title("SDR", fontsize=9)
    for ax in axes.ravel():
        ax.set_aspect("equal")
    fig.suptitle(f"inputs and their SDRs ({lattice} map, {enc.n_active} active units)", fontsize=10)
    paths.append(out_dir / "som_sdr_examples.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    # novelty score distributions
    names = ["bmu_distance", "mean_pairwise_distance", "n_blobs"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, key in zip(axes, names):
        allv = np.concatenate([s[key] for s in scores.values()])
        bins = np.arange(allv.min(), allv.max() + 2) - 0.5 if key == "n_blobs" else 40
        for set_name, s in scores.items():
            ax.hist(s[key], bins=bins, histtype="step", density=True, label=set_name)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel({"bmu_distance": "distance of the sample to its best-matching unit",
                       "mean_pairwise_distance": "mean grid distance between the active units",
                       "n_blobs": "connected groups of active units"}[key], fontsize=8)
        ax.set_ylabel("density (fraction of samples per unit)", fontsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"novelty scores ({lattice} map)", fontsize=10)
    fig.tight_layout()
    paths.append(out_dir / "som_novelty.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    return [str(p) for p in paths]


def study_markdown(result, command):
    """The study's tables in Markdown."""
    lines = [f"Command: `{command}`", "",
             f"Data: {result['dataset']}; SOM trained on the first {result['n_train']:,}, measured on the next "
             f"{result['n_test']:,}. Map {result['map']}, {result['n_active']} active units per SDR, "
             f"{result['n_epochs']} epochs ({result['schedule']}), PCA init, seed {result['seed']}, "
             f"{result['n_threads']} threads.", "",
             "| map | QE (test) | TE (test) | mean overlap, same class | mean overlap, different class "
             "| 1-NN accuracy by SDR overlap | fit s | encode samples/s |",
             "|---|---|---|---|---|---|---|---|"]
    for lattice, r in result["maps"].items():
        lines.append(f"| {lattice} | {r['qe_test']:.3f} | {r['te_test']:.3f} | {r['overlap_same_class']:.2f} "
                     f"| {r['overlap_different_class']:.2f} | {r['nn_accuracy_sdr_overlap']:.4f} | {r['fit_s']:.2f} "
                     f"| {r['encode_samples_per_s']:,.0f} |")
    lines += ["", f"Reference: 1-NN on the raw inputs (Euclidean) {result['nn_accuracy_raw_euclidean']:.4f}.", "",
              "Novelty detection, ROC AUC of each score (in-distribution test inputs = negatives, the "
              "transformed set = positives; 0.5 = chance, below 0.5 = the score is lower for the novel set):", "",
              "| map | novel set | bmu_distance | mean_pairwise_distance | n_blobs |", "|---|---|---|---|---|"]
    for lattice, r in result["maps"].items():
        for name, a in r["novelty_auc"].items():
            lines.append(f"| {lattice} | {name} | {a['bmu_distance']:.3f} | {a['mean_pairwise_distance']:.3f} "
                         f"| {a['n_blobs']:.3f} |")
    return "\n".join(lines) + "\n"
