"""Chapter 11's comparison: adapt chapter 08's recipe run to the variant program by training from scratch, full
fine-tuning, the top 2 blocks, gradual unfreezing and LoRA, on 100, 1,000 and 10,000 dialogues; measure what each
learned (variant) and kept (mission), what it trains and ships, and how long it took. Writes one table as JSON,
after every run, and resumes: finished runs in --runs are measured again, not retrained.

    python bench/finetune_compare.py --base runs/ref-recipe --out results/finetune-h100.json
    python bench/finetune_compare.py --base runs/ref-recipe --budgets 100 --methods lora full --out /tmp/quick.json
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from record import environment, save  # noqa: E402

from lottogpt.finetune import METHODS, compare  # noqa: E402
from lottogpt.train import CheckpointError  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", type=Path, default=Path("runs/ref-recipe"), help="the chapter 08 run to start from")
    p.add_argument("--runs", type=Path, default=Path("runs/finetune"), help="folder for the fine-tuned runs")
    p.add_argument("--budgets", type=int, nargs="+", default=[100, 1_000, 10_000], help="dialogues to fine-tune on")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--steps", type=int, default=600, help="most optimizer steps per run (default 600)")
    p.add_argument("--n", type=int, default=500, help="test purchases per program for the final measurement")
    p.add_argument("--workers", type=int, default=4, help="data-loading processes per run")
    p.add_argument("--out", type=Path, required=True, help="where to write the table")
    args = p.parse_args(argv)
    rows, about = [], environment()
    try:
        for row in compare(args.base, args.runs, args.budgets, args.methods, args.n, steps=args.steps, workers=args.workers):
            rows.append(row)
            print(f"{row['method']:>8} {row['budget']:>6}: variant {row['variant']:.1%}, mission {row['mission']:.1%}, "
                  f"{row['trainable']:,} trained, {row['seconds']:.0f} s", flush=True)
            save(args.out, {"environment": about, "settings": vars(args) | {"base": str(args.base), "runs": str(args.runs),
                                                                          "out": str(args.out)}, "rows": rows})
    except CheckpointError as e:
        p.error(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
