"""Chapter 11's comparison: adapt chapter 08's recipe run to the variant program by training from scratch, full
fine-tuning, the top 2 blocks, gradual unfreezing and LoRA, on 100, 1,000 and 10,000 dialogues; measure what each
learned (variant) and kept (mission), what it trains and ships, and how long it took. Writes one table as JSON,
after every run, and resumes: a finished run's row is kept in its folder (row.json) and read back, not retrained.
With --parallel K, K processes share the runs (small models leave a GPU waiting on Python; several processes keep
it busier), then this one gathers the table.

    python bench/finetune_compare.py --base runs/ref-recipe --parallel 5 --out results/11/finetune-h100.json
    python bench/finetune_compare.py --base runs/ref-recipe --budgets 100 --methods lora full --out /tmp/quick.json
"""
import argparse
import subprocess
import sys
from itertools import islice
from pathlib import Path

from lottogpt.evaluate import environment, save_result as save

from lottogpt.finetune import METHODS, compare
from lottogpt.checkpoint import CheckpointError


def _rows(args):
    "The base model's row, then one per (method, budget) pair, training those not done yet."
    pairs = [pair.split(":") for pair in args.pairs] or [(m, b) for b in args.budgets for m in args.methods]
    yield next(compare(args.base, args.runs, (), (), args.n))
    for method, budget in pairs:  # each compare() yields the (cached) base row first
        yield from islice(compare(args.base, args.runs, (int(budget),), (method,), args.n, steps=args.steps,
                                  workers=args.workers, keep_best=not args.last_weights), 1, None)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", type=Path, default=Path("runs/ref-recipe"), help="the chapter 08 run to start from")
    p.add_argument("--runs", type=Path, default=Path("runs/finetune"), help="folder for the fine-tuned runs")
    p.add_argument("--budgets", type=int, nargs="+", default=[100, 1_000, 10_000], help="dialogues to fine-tune on")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--pairs", nargs="+", default=[], metavar="METHOD:BUDGET", help=argparse.SUPPRESS)  # --parallel's share
    p.add_argument("--steps", type=int, default=600, help="most optimizer steps per run (default 600)")
    p.add_argument("--n", type=int, default=500, help="test purchases per program for the final measurement")
    p.add_argument("--workers", type=int, default=4, help="data-loading processes per run")
    p.add_argument("--last-weights", action="store_true", help="measure each run's last weights, not its best evaluation's")
    p.add_argument("--parallel", type=int, default=1, help="processes sharing the runs (default 1)")
    p.add_argument("--out", type=Path, required=True, help="where to write the table")
    args = p.parse_args(argv)
    try:
        if args.parallel > 1 and not args.pairs:
            todo = [f"{m}:{b}" for b in args.budgets for m in args.methods if not (args.runs / f"{m}-{b}" / "row.json").exists()]
            next(compare(args.base, args.runs, (), (), args.n))  # the base model, measured once before the processes start
            shared = [sys.executable, __file__, "--base", str(args.base), "--runs", str(args.runs), "--steps", str(args.steps),
                      "--n", str(args.n), "--workers", str(args.workers)] + ["--last-weights"] * args.last_weights
            procs = [subprocess.Popen(shared + ["--out", str(args.runs / f"part-{i}.json"), "--pairs", *todo[i::args.parallel]])
                     for i in range(min(args.parallel, len(todo)))]
            failed = [proc.wait() for proc in procs]  # wait for every one: any() would stop at the first failure
            if any(failed): print("a process failed; the runs it left are trained below", file=sys.stderr)
        rows, about = [], environment()
        for row in _rows(args):
            rows.append(row)
            print(f"{row['method']:>8} {row['budget']:>6}: variant {row['variant']:.1%}, mission {row['mission']:.1%}, "
                  f"{row['trainable']:,} trained, {row['seconds']:.0f} s", flush=True)
            save(args.out, {"environment": about, "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                            "rows": rows})
    except CheckpointError as e:
        p.error(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
