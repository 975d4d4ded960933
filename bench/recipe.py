"""Train a recipe with `lottogpt train` and measure it against chapter 08's targets; write what it measured to a file.

The training runs as its own process, timed from the command to the saved run. Then, on the GPU if there is one, with
the tools its format needs (the ticket draw and the calculator for a checker model): checker mode on each test set
from one forward pass per purchase (chapter 07's fast check), the same checked against really running the machine on
the first `--generate` purchases, and free-running dialogues of natural purchases by the hobby project's metric, with
the fairness test. With `--float32` the training computes in float32 even where the processor has bf16 instructions:
what a learner's laptop without them trains in. (The checks always compute in float32.)

    python bench/recipe.py gpu_recipe --n 10000 --free 10000 --out results/08/gpu_recipe-h200.json
    python bench/recipe.py cpu_recipe --n 10000 --free 1000 --out results/08/cpu_recipe-cpu.json
"""
import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lottogpt.checkpoint import load_run, pick_device
from lottogpt.cli import _extensions
from lottogpt.config import CONFIGS
from lottogpt.data import FORMATS, TEST_SETS, make_set
from lottogpt.evaluate import environment, evaluate, fast_check, save_result
from lottogpt.lotto import RULE_SETS
from lottogpt.machine import TOOLS, Machine
from lottogpt.model import param_counts
from lottogpt.tools import needed_tools


NO_BF16 = ("import torch; torch.cpu._is_avx512_bf16_supported = torch.cuda.is_bf16_supported = lambda *a, **k: False; "
           "from lottogpt.checkpoint import autocast_dtype; "
           "assert autocast_dtype(torch.device('cpu')) is None, 'bf16 could not be turned off'")


def trained(config: str, run: Path, retrain: bool, float32: bool = False) -> dict:
    "Train `config` into `run` with the command line, unless it is there; the wall time and the last record."
    if (run / "wall.json").exists() and not retrain:
        trained_float32 = json.loads((run / "wall.json").read_text()).get("float32", False)
        if trained_float32 != float32:
            sys.exit(f"{run} was trained {'in float32' if trained_float32 else 'with bf16 where there is'}: "
                     f"{'add' if trained_float32 else 'leave out'} --float32, or add --retrain")
    if retrain or not (run / "model.safetensors").exists():
        if retrain and run.exists():
            if any(run.iterdir()) and not any((run / name).exists() for name in ("config.json", "metrics.jsonl")):
                sys.exit(f"{run} holds files but no run: name a run, an empty folder or a new one with --run")
            print(f"training again: the run in {run} is removed first", flush=True)
            shutil.rmtree(run)
        t = time.perf_counter()
        flag = ["--config", config] if config in CONFIGS else ["--config-file", config]
        start = ["-c", f"{NO_BF16}; import sys, lottogpt.cli; sys.exit(lottogpt.cli.main())"] if float32 else \
            ["-m", "lottogpt.cli"]
        done = subprocess.run([sys.executable, *start, "train", *flag, "--out", str(run), "--quiet"])
        if done.returncode: sys.exit(f"the training stopped with exit status {done.returncode}: its message is above")
        wall = time.perf_counter() - t
        (run / "wall.json").write_text(json.dumps({"wall_s": wall, "float32": float32}))
    history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {"config": config, "wall_s": json.loads((run / "wall.json").read_text())["wall_s"], "steps": history[-1]["step"],
            "tokens_per_s": history[-1]["tokens_per_s"], "last": history[-1]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="a named config or a config file")
    p.add_argument("--run", type=Path, help="run folder (default runs/NAME)")
    p.add_argument("--retrain", action="store_true", help="train again, removing the run in --run if there is one")
    p.add_argument("--sets", nargs="+", default=["natural", "stress", "winners", "bunched"], choices=list(TEST_SETS))
    p.add_argument("--n", type=int, default=10_000, help="purchases per test set (default 10,000)")
    p.add_argument("--generate", type=int, default=1000, help="of them, how many also run through the machine")
    p.add_argument("--free", type=int, default=1000, help="free-running natural dialogues (default 1,000)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--time-out", type=Path, help="also write the training's wall time, command to saved run, here")
    p.add_argument("--float32", action="store_true",
                   help="train in float32, as a processor without bf16 instructions does "
                        "(default run: runs/NAME-float32)")
    args = p.parse_args(argv)
    _extensions()
    run = args.run or Path("runs") / (Path(args.config).stem + "-float32" * args.float32)
    if args.time_out and (run / "model.safetensors").exists() and not args.retrain:
        p.error(f"--time-out times a training, and {run} is trained already: add --retrain")
    training = trained(args.config, run, args.retrain, args.float32)
    print(f"trained {run} in {training['wall_s']:.0f}s from the command to the saved run", flush=True)
    if args.time_out:  # the training time alone, as its own record
        save_result(args.time_out, {**{k: training[k] for k in ("config", "wall_s", "steps", "tokens_per_s")},
                                    "data_wait": training["last"].get("data_wait"), "float32": args.float32,
                                    "environment": environment()})
    model, tok, cfg = load_run(run, pick_device())
    rules = RULE_SETS[cfg.rules]
    machine = Machine(model, tok, cfg.format, rules, [TOOLS[t](tok, rules, {}) for t in needed_tools(cfg.format)],
                      cfg.positions(tok))
    result = {"training": {**training, "parameters": param_counts(model)}, "tools": needed_tools(cfg.format), "sets": {},
              "environment": environment(), "float32": args.float32}
    def save(): save_result(args.out, result)  # after every stage: a run cut short keeps what it measured
    save()
    for name in args.sets:
        examples, t = make_set(name, args.n), time.perf_counter()
        right = fast_check(machine, examples)
        entry = {"n": args.n, "exact": sum(right) / len(right), "missed": [i for i, r in enumerate(right) if not r][:50],
                 "seconds": time.perf_counter() - t}
        if args.generate:
            some, t = examples[:args.generate], time.perf_counter()
            written = [machine.fmt.visible(o) for o in machine.check(some)]
            generated = [w == FORMATS["console"].answer(e) for w, e in zip(written, some)]
            entry["generated"] = {"n": len(some), "exact": sum(generated) / len(some), "seconds": time.perf_counter() - t,
                                  "agrees_with_fast": generated == right[:len(some)]}
        result["sets"][name] = entry
        save()
        print(f"{name}: {entry['exact']:.2%} of {args.n:,}", flush=True)
    if args.free:
        t = time.perf_counter()
        free = evaluate(None, ("natural",), args.free, machine=machine, free_running=True, fast=True)["sets"]["natural"]
        result["free_running"] = {"n": args.free, "seconds": time.perf_counter() - t, **free["free_running"]}
        print(f"free-running: {free['free_running']['verdicts']['correct']:.2%} of {args.free:,}, fairness p "
              f"{free['free_running']['fairness'].get('matches_p', float('nan')):.3g}", flush=True)
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
