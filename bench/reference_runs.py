"""Train and evaluate the reference runs that the chapters quote, and write what they measured into results/.

For each named config: train it into runs/ref-NAME (from scratch), evaluate it on the test sets, and write
results/eval-NAME-GPU.json (the report, the training summary, the command and the versions) and
results/train-NAME-GPU.jsonl (every logged training step).

    python bench/reference_runs.py base original --sets natural stress long --n 5000
    python bench/reference_runs.py recipe --calculator --n 1000 --n-long 300   # files named recipe-calculator
"""
import argparse
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from record import environment, save  # noqa: E402

from lottogpt.data import RUNS  # noqa: E402
from lottogpt.evaluate import evaluate, summary  # noqa: E402
from lottogpt.model import param_counts  # noqa: E402
from lottogpt.recipe import CONFIGS  # noqa: E402  (chapter 05's configs and chapter 08's recipe)
from lottogpt.train import load_run, train  # noqa: E402


def gpu_tag() -> str:
    if not torch.cuda.is_available(): return "cpu"
    name = torch.cuda.get_device_name()
    return next((t.lower() for t in ("H100", "H200", "A100", "L4", "T4") if t in name), "gpu")


def train_and_evaluate(name: str, cfg, run: Path, sets: tuple[str, ...], n: int, n_long: int | None = None,
                       calculator: bool = False) -> dict:
    "Train `cfg` into `run` from scratch and evaluate it (`n_long` dialogues of `long`); the report and training summary."
    shutil.rmtree(run, ignore_errors=True)
    t = time.perf_counter()
    state = train(cfg, run)
    seconds = time.perf_counter() - t
    model, _, _ = load_run(run)
    t = time.perf_counter()
    short = tuple(s for s in sets if s != "long" or n_long is None)
    report = evaluate(run, short, n, calculator=calculator)
    if "long" not in short and "long" in sets:  # long dialogues take several times longer to generate
        report["sets"]["long"] = evaluate(run, ("long",), n_long, calculator=calculator)["sets"]["long"]
        report["n_long"] = n_long
    last = state["history"][-1]
    report["training"] = {"config": name, "steps": state["step"], "seconds": seconds,
                          "tokens_per_s": last["tokens_per_s"], "data_wait": last.get("data_wait"),
                          "params": param_counts(model), "best_exact_val": state["best_exact"]}
    report["evaluation_seconds"] = time.perf_counter() - t
    report["environment"] = environment()
    print(f"{name}: {state['step']} steps in {seconds:.0f}s\n{summary(report)}", flush=True)
    return report


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="+", choices=list(CONFIGS))
    p.add_argument("--sets", nargs="+", default=["natural", "stress", "long"], choices=["natural", "stress", "long"])
    p.add_argument("--n", type=int, default=5000, help="dialogues per test set (default 5000)")
    p.add_argument("--n-long", type=int, help="dialogues of the long set, if fewer (default: --n)")
    p.add_argument("--calculator", action="store_true", help="evaluate with chapter 08's calculator; files get -calculator")
    p.add_argument("--out", type=Path, default=Path("results"), help="folder for the results (default results/)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = gpu_tag()
    for name in args.configs:
        run = RUNS / f"ref-{name}"
        report = train_and_evaluate(name, CONFIGS[name], run, tuple(args.sets), args.n, args.n_long, args.calculator)
        stem = f"{name}-calculator-{tag}" if args.calculator else f"{name}-{tag}"
        save(args.out / f"eval-{stem}.json", report)
        shutil.copy(run / "metrics.jsonl", args.out / f"train-{stem}.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
