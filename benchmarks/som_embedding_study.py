"""SDRs from dense embeddings (docs/som.md, "Study: SDRs of dense embeddings").

The 10,000 MNIST test digits (the copy shipped with the package, or --mnist-dir /
$HTMHW_DATA) embedded offline as 64-d unit vectors: the first 64 principal components
(--method pca) or the ReLU hidden layer of an MLP classifier (--method mlp), both fitted on
the first 8,000 digits only. A 32x32 hex SOM (10 epochs, K = 16) is trained on those 8,000
and measured on the last 2,000: class maps, the spread of single-concept, mixed and
out-of-distribution inputs (ROC AUC), union and intersection on the grid, and 1-NN
retrieval under flipped and dropped bits. Writes the figures (som_emb_*.png) to --out and,
with --update-doc, the tables into docs/som.md between the embedding-study markers.

    python benchmarks/som_embedding_study.py [--method pca|mlp] [--out docs] [--update-doc docs/som.md]
                                            [--mnist-dir DIR] [--seed 1] [--threads 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from htmhw.demos.embedding_study import embedding_study_markdown, run_embedding_study

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=("pca", "mlp"), default="pca")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="figure directory (default: docs)")
    parser.add_argument("--update-doc", type=Path, default=None, help="Markdown file to update (docs/som.md)")
    parser.add_argument("--mnist-dir", default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run_embedding_study(args.out, method=args.method, dims=64, n_train=8000, n_test=2000, n_rows=32,
                                 n_cols=32, n_active=16, n_epochs=10, lattice="hex", seed=args.seed,
                                 n_threads=args.threads, mnist_dir=args.mnist_dir)
    command = f"python benchmarks/som_embedding_study.py --method {args.method}" + \
        (f" --seed {args.seed}" if args.seed != 1 else "") + " --update-doc docs/som.md"
    md = embedding_study_markdown(result, command)
    if args.method == "pca":  # the figures of the doc are the PCA run's
        md += "\n" + "\n".join(f"![{Path(p).name}]({Path(p).name})" for p in result["figures"]) + "\n"
    print(md)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.update_doc:
        begin, end = f"<!-- som-embeddings-{args.method}:begin -->", f"<!-- som-embeddings-{args.method}:end -->"
        text = args.update_doc.read_text()
        if begin not in text or end not in text:
            raise SystemExit(f"{args.update_doc}: no {begin} ... {end} section to replace")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        args.update_doc.write_text(f"{head}{begin}\n{md}{end}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
