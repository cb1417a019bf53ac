"""SOM encoder study (docs/som.md): map quality, class structure of the SDRs, novelty.

On the 10,000 MNIST test digits (the copy shipped with the package, or --mnist-dir /
$HTMHW_DATA; --dataset digits: the embedded 8x8 digits instead): 32x32 rect and hex maps trained on the first 8,000 digits
(batch, 10 epochs, radius 16 -> 1), measured on the last 2,000: quantization and
topographic error, mean SDR overlap of same-class vs different-class pairs, 1-NN
classification by SDR overlap, and ROC AUC of the three novelty scores for uniform
noise, inverted and pixel-shuffled digits. Writes the figures (som_*.png) to --out and,
with --update-doc, the tables into docs/som.md between the study markers.

    python benchmarks/som_study.py [--out docs] [--update-doc docs/som.md] [--mnist-dir DIR]
                                   [--dataset mnist|digits] [--seed 1] [--threads 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from htmhw.demos.som_study import run_study, study_markdown

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- som-study:begin -->", "<!-- som-study:end -->"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="figure directory (default: docs)")
    parser.add_argument("--update-doc", type=Path, default=None, help="Markdown file to update (docs/som.md)")
    parser.add_argument("--mnist-dir", default=None)
    parser.add_argument("--dataset", choices=("mnist", "digits"), default="mnist")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    digits = args.dataset == "digits"
    sizes = (dict(n_train=1200, n_test=597, n_rows=16, n_cols=16, n_active=8) if digits else
             dict(n_train=8000, n_test=2000, n_rows=32, n_cols=32, n_active=16))
    result = run_study(args.out, dataset=args.dataset, mnist_dir=args.mnist_dir, seed=args.seed,
                       n_threads=args.threads, n_epochs=10, quiet=False, **sizes)
    command = "python benchmarks/som_study.py" + (" --dataset digits" if digits else "") + \
        (f" --seed {args.seed}" if args.seed != 1 else "") + " --update-doc docs/som.md"
    md = study_markdown(result, command)
    figures = [Path(p).name for p in result["figures"]]
    md += "\n" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    print(md)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.update_doc:
        text = args.update_doc.read_text()
        if BEGIN not in text or END not in text:
            raise SystemExit(f"{args.update_doc}: no {BEGIN} ... {END} section to replace")
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        args.update_doc.write_text(f"{head}{BEGIN}\n{md}{END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
