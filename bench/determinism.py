"""Does a training repeat? Trains one config for `--steps` twice in each of `--modes`, on this machine, and writes each
pair's logged losses, where they first differ, the seconds each training took, and what PyTorch warned. The modes:
`default` (PyTorch's fastest kernels), `warn_only` (`torch.use_deterministic_algorithms(True, warn_only=True)`: a
kernel without a deterministic version warns and runs) and `strict` (`TrainConfig.deterministic`, chapter 05: such a
kernel raises). Also tries one training step in the strict mode and records what it raised, if anything.

    python bench/determinism.py recipe_length_tally_denser --steps 200 --out results/05/determinism-h200.json

In results/05/determinism-h200.json and determinism-cublas-env-h200.json the mode called `deterministic` is the
warn-only mode; determinism-strict-h200.json holds `--modes strict`.
"""
import argparse
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import torch

from lottogpt.cli import _extensions
from lottogpt.config import load_config
from lottogpt.evaluate import environment, gpu_tag, save_result as save
from lottogpt.train import train


MODES = ("default", "warn_only", "strict")


def losses(cfg, folder: Path) -> tuple[list[tuple[int, float]], float, list[str]]:
    "The logged (step, training loss) of one training of `cfg`, its seconds, and the distinct warnings it raised."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = time.perf_counter()
        history = train(cfg, folder, progress=False)["history"]  # train gives back the mode it found
        seconds = time.perf_counter() - t
    return [(r["step"], r["loss"]) for r in history], seconds, sorted({str(w.message)[:300] for w in caught})


def strict_step(cfg, folder: Path) -> str:
    "What PyTorch's strict deterministic mode says about one training step of `cfg` ('' if nothing raised)."
    torch.use_deterministic_algorithms(True)
    try: train(replace(cfg, max_steps=1, eval_every=1), folder, progress=False)
    except RuntimeError as e: return str(e)[:500]
    finally: torch.use_deterministic_algorithms(False)
    return ""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="a named config, or a research config's name in experiments/")
    p.add_argument("--steps", type=int, default=300, help="optimizer steps of each training (default 300)")
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="kernel modes to train in (default all)")
    p.add_argument("--out", type=Path, help="results file (default results/determinism-GPU.json)")
    args = p.parse_args()
    if args.steps < 1: p.error("--steps must be at least 1")
    _extensions()
    # one small evaluation at the end: the losses are the measurement
    cfg = replace(load_config(args.config), max_steps=args.steps, eval_every=args.steps, eval_examples=16, log_every=10)
    out, rows = args.out or Path(f"results/05/determinism-{gpu_tag()}.json"), {}
    record = lambda strict: save(out, {"environment": environment(), "config": args.config, "steps": args.steps,
                                       "strict_step": strict, "rows": rows})
    with tempfile.TemporaryDirectory() as d:
        strict = strict_step(cfg, Path(d) / "strict")
        for mode in args.modes:
            torch.use_deterministic_algorithms(mode == "warn_only", warn_only=True)
            runs = [losses(replace(cfg, deterministic=mode == "strict"), Path(d) / f"{mode}-{i}") for i in range(2)]
            torch.use_deterministic_algorithms(False)
            (first, t1, w1), (second, t2, w2) = runs
            row = {"identical": first == second,
                   "first_apart_at_step": next((step for (step, a), (_, b) in zip(first, second) if a != b), None),
                   "largest_relative_gap": max(abs(a - b) / a for (_, a), (_, b) in zip(first, second)),
                   "seconds": [t1, t2], "warnings": sorted(set(w1) | set(w2)), "losses": [first, second]}
            rows[mode] = row
            record(strict)  # each pair as it is done: a run stopped early keeps what it measured
            print(f"{mode:9}: identical {row['identical']}, first apart at step "
                  f"{row['first_apart_at_step']}, {t1:.0f} s and {t2:.0f} s")
    print(f"strict mode, one step: {strict or 'nothing raised'}\nwrote {out}")


if __name__ == "__main__":
    main()
