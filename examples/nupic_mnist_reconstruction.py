"""The classic HTM-forum recipe, written against NuPIC's SpatialPooler API.

Train a spatial pooler on MNIST digits with compute(..., learn=True, activeArray),
then reconstruct test digits by summing getConnectedSynapses() of the active
columns, and plot originals / SDRs / reconstructions. A NuPIC script of this shape
runs on htmhw after changing only its import line (and Python 2 idioms):

    from nupic.algorithms.spatial_pooler import SpatialPooler   # before
    from htmhw.nupic import SpatialPooler                        # after

    python examples/nupic_mnist_reconstruction.py --mnist-dir DIR [--n-train 2000] [--out recon.png]
"""
import argparse

import numpy as np

from htmhw.datasets import load_mnist
from htmhw.nupic import SpatialPooler


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist-dir", default=None)
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-show", type=int, default=8)
    parser.add_argument("--out", default="recon.png")
    args = parser.parse_args(argv)

    images, labels = load_mnist(args.mnist_dir)
    images = (images > 30).astype(np.uint8).reshape(len(images), 784)

    sp = SpatialPooler(inputDimensions=(784,), columnDimensions=(2048,), potentialRadius=784,
                       potentialPct=0.3, globalInhibition=True, localAreaDensity=-1.0,
                       numActiveColumnsPerInhArea=40, stimulusThreshold=0, synPermInactiveDec=0.02,
                       synPermActiveInc=0.1, synPermConnected=0.2, minPctOverlapDutyCycle=0.001,
                       dutyCyclePeriod=1000, boostStrength=0.0, seed=1956, spVerbosity=0, wrapAround=False)
    active = np.zeros(sp.getNumColumns(), dtype=np.uint32)
    for i in range(args.n_train):
        sp.compute(images[i], True, active)

    test = images[args.n_train : args.n_train + args.n_show]
    sdrs, recons = [], []
    connected = np.zeros(sp.getNumInputs(), dtype=np.uint32)
    for img in test:
        sp.compute(img, False, active)
        recon = np.zeros(sp.getNumInputs())
        for col in active.nonzero()[0]:
            sp.getConnectedSynapses(col, connected)
            recon += connected
        sdrs.append(active.copy())
        recons.append(recon / max(recon.max(), 1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, len(test), figsize=(1.5 * len(test), 4.5))
    for j in range(len(test)):
        axes[0, j].imshow(test[j].reshape(28, 28), cmap="gray")
        axes[1, j].imshow(sdrs[j].reshape(32, 64), cmap="gray")
        axes[2, j].imshow(recons[j].reshape(28, 28), cmap="gray")
        for ax in axes[:, j]:
            ax.axis("off")
    fig.savefig(args.out, dpi=80)
    # The reconstruction correlates with the original digit; print it per sample.
    corr = [float(np.corrcoef(t, r)[0, 1]) for t, r in zip(test, recons)]
    print("reconstruction correlation:", " ".join(f"{c:.2f}" for c in corr))
    return corr


if __name__ == "__main__":
    main()
