"""The first ablation of chapter 08's research: train research configs (files in experiments/) for the same number of
steps and measure each with chapter 07's metrics on the same test sets; write one table as JSON.

    python bench/ablation.py console checker scratch_checker scratch_checker_balanced scratch_balanced --out results/research/ablation-h100.json
    python bench/ablation.py length_hybrid --evaluate-only --sets long --n 60   # measure a trained variant again
"""
import argparse
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from reference_runs import evaluate_reference, train_reference

from lottogpt.cli import _extensions
from lottogpt.config import load_config
from lottogpt.data import RUNS, TEST_SETS
from lottogpt.evaluate import environment, gpu_tag, save_result as save

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("variants", nargs="+", help="research configs, by their names in experiments/")
    p.add_argument("--sets", nargs="+", default=["natural", "stress"], choices=list(TEST_SETS))
    p.add_argument("--n", type=int, default=2000, help="dialogues per test set (default 2000)")
    p.add_argument("--n-long", type=int, help="dialogues of the long set, if fewer (default: --n)")
    p.add_argument("--steps", type=int, help="override every variant's number of steps (for a quick check)")
    p.add_argument("--workers", type=int, help="override every variant's number of data-loading workers")
    p.add_argument("--eval-examples", type=int, help="override the validation dialogues of every evaluation during training "
                   "(validation does not change training; the char tokenizer's varied prompt lengths make it slow)")
    p.add_argument("--evaluate-only", action="store_true", help="evaluate runs/ablation-NAME as trained before, do not train")
    p.add_argument("--out", type=Path, help="write the table as JSON here")
    args = p.parse_args(argv)
    _extensions()
    rows = []
    for name in args.variants:
        what, cfg = json.loads((EXPERIMENTS / f"{name}.json").read_text())["about"], load_config(name)
        overrides = {"max_steps": args.steps, "workers": args.workers, "eval_examples": args.eval_examples}
        cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
        run = RUNS / f"ablation-{name}"
        if not args.evaluate_only:
            train_reference(name, cfg, run)
            if args.out: shutil.copy(run / "metrics.jsonl", args.out.parent / f"train-{name}-{gpu_tag()}.jsonl")
        elif not (run / "reference.json").exists(): p.error(f"{run} has no finished training: run without --evaluate-only")
        report = evaluate_reference(run, tuple(args.sets), args.n, args.n_long)  # with the training summary
        row = {"variant": name, "what": what, "config": cfg.to_dict(), "training": report["training"]}
        for set_name, e in report["sets"].items():
            row[set_name] = {"checker_exact": e["checker"]["exact"], "checker_per_rank": e["checker"]["per_rank"],
                             "checker_verdicts": e["checker"]["verdicts"], "checker_mistakes": e["checker"]["mistakes"][:2],
                             "checker_by_tickets": e["checker"]["by_tickets"]}
            if "free_running" in e:
                row[set_name].update(original_metric=e["free_running"]["verdicts"]["correct"],
                                     verdicts=e["free_running"]["verdicts"],
                                     fairness_p=e["free_running"]["fairness"].get("matches_p"))
        rows.append(row)
        if args.out: save(args.out, {"environment": environment(), "n": args.n, "n_long": args.n_long, "rows": rows})  # after every variant
    return 0


if __name__ == "__main__":
    sys.exit(main())
