"""The HTM-forum MNIST reconstruction recipe, in Python 3 against NuPIC's API.

The recipe: train a spatial pooler on MNIST digits one `compute(input, learn=True,
activeArray)` call at a time, then rebuild each test digit by adding up
`getConnectedSynapses()` of its active columns, and plot originals / SDRs /
reconstructions. Written against NuPIC's class and method names, so the only line a
NuPIC script changes is the import:

    from nupic.algorithms.spatial_pooler import SpatialPooler   # NuPIC (Python 2)
    from htmhw.nupic import SpatialPooler                        # htmhw

After the recipe, the script checks its hand-written loop against
`htmhw.reconstruct.BackProjection` (they must agree exactly) and shows what a learned
decoder (`htmhw.reconstruct.RidgeDecoder`) does with the same SDRs.

    python examples/nupic_mnist_reconstruction.py --mnist-dir DIR [--n-train 2000] [--out recon.png]
"""
import argparse

import numpy as np

from htmhw.datasets import load_mnist
from htmhw.nupic import SpatialPooler

LAST_RUN = {}  # numbers of the last main() call, for tests and curious readers


def recipe_reconstruction(sp, active):
    """The forum loop: sum the connected synapses of every active column."""
    recon = np.zeros(sp.getNumInputs())
    connected = np.zeros(sp.getNumInputs(), dtype=np.uint32)
    for col in np.flatnonzero(active):
        sp.getConnectedSynapses(col, connected)
        recon += connected
    return recon


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", default=None, help="MNIST directory (default: $HTMHW_DATA/mnist)")
    parser.add_argument("--n-train", type=int, default=2000, help="training digits (default 2000)")
    parser.add_argument("--n-show", type=int, default=8, help="test digits to reconstruct and plot (default 8)")
    parser.add_argument("--out", default="recon.png", help="figure path (default recon.png)")
    args = parser.parse_args(argv)

    images, _ = load_mnist(args.mnist_dir)
    digits = (images > 30).astype(np.uint8).reshape(len(images), 784)

    sp = SpatialPooler(inputDimensions=(784,), columnDimensions=(2048,), potentialRadius=784,
                       potentialPct=0.3, globalInhibition=True, localAreaDensity=-1.0,
                       numActiveColumnsPerInhArea=40, stimulusThreshold=0, synPermInactiveDec=0.02,
                       synPermActiveInc=0.1, synPermConnected=0.2, minPctOverlapDutyCycle=0.001,
                       dutyCyclePeriod=1000, boostStrength=0.0, seed=1956, spVerbosity=0, wrapAround=False)
    active = np.zeros(sp.getNumColumns(), dtype=np.uint32)
    for i in range(args.n_train):                     # learning, one digit per call
        sp.compute(digits[i], True, active)

    test = digits[args.n_train : args.n_train + args.n_show]
    sdrs, sums = [], []
    for digit in test:                                # inference and the recipe's reconstruction
        sp.compute(digit, False, active)
        sdrs.append(active.copy())
        sums.append(recipe_reconstruction(sp, active))
    sdrs, sums = np.array(sdrs), np.array(sums)
    recons = sums / np.maximum(sums.max(axis=1, keepdims=True), 1)

    # The same reconstruction through htmhw.reconstruct, and a learned decoder for comparison.
    from htmhw import metrics
    from htmhw.reconstruct import BackProjection, RidgeDecoder

    library = BackProjection(sp, normalize="none").reconstruct(sdrs)  # the unnormalized sums
    train_sdrs = np.zeros((args.n_train, sp.getNumColumns()), dtype=np.uint8)
    for i in range(args.n_train):
        sp.compute(digits[i], False, active)
        train_sdrs[i] = active
    decoded = RidgeDecoder(alpha=10.0, clip=(0, 1)).fit(train_sdrs, digits[: args.n_train]).reconstruct(sdrs)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("original", test, (28, 28)), ("SDR", sdrs, (32, 64)), ("recipe", recons, (28, 28)),
            ("ridge decoder", decoded, (28, 28))]
    fig, axes = plt.subplots(len(rows), len(test), figsize=(1.5 * len(test), 1.5 * len(rows)), squeeze=False)
    for r, (label, data, shape) in enumerate(rows):
        for j in range(len(test)):
            axes[r, j].imshow(data[j].reshape(shape), cmap="gray")
            axes[r, j].set_xticks([])
            axes[r, j].set_yticks([])
        axes[r, 0].set_ylabel(label)
    fig.tight_layout()
    fig.savefig(args.out, dpi=80)
    plt.close(fig)

    corr = [float(np.corrcoef(t, r)[0, 1]) for t, r in zip(test, recons)]
    LAST_RUN.clear()
    LAST_RUN.update(
        correlation=corr,
        max_abs_diff_vs_htmhw_reconstruct=float(np.abs(library - sums).max()),
        back_projection_psnr=metrics.psnr(test, recons),
        ridge_psnr=metrics.psnr(test, decoded),
    )
    print("reconstruction correlation:", " ".join(f"{c:.2f}" for c in corr))
    print(f"PSNR: recipe (back-projection) {LAST_RUN['back_projection_psnr']:.2f} dB, "
          f"ridge decoder {LAST_RUN['ridge_psnr']:.2f} dB; wrote {args.out}")
    return corr


if __name__ == "__main__":
    main()
