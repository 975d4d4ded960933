"""How fast the CPU recipe trains on this machine's CPU, run as it is and with the usual levers: torch.compile, the number
of threads, and float32 in place of bf16 (what a CPU without bf16 instructions computes in). Each variant trains the
first steps of `cpu_recipe` from scratch in a temporary folder (the curriculum's first stage, short purchases, so
variants see the same batches) and reports trained tokens per second of wall time, start-up included. With `--profile
FILE`, it writes where the time of a step goes instead: PyTorch's profile of steps past the curriculum, on purchases
of every size, as the recipe trains them.

    python bench/cpu_speed.py --steps 150 --out results/05/cpu-speed-cpu.json
    python bench/cpu_speed.py --profile results/05/profiles/cpu_recipe-cpu.txt
"""
import argparse
import tempfile
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import torch

from lottogpt.cli import _extensions
from lottogpt.config import load_config, make_tokenizer
from lottogpt.data import held_out_keys
from lottogpt.evaluate import environment, save_result
from lottogpt.model import build_model
from lottogpt.train import StepBatches, _step, batches_from, make_optimizer, train

VARIANTS = {  # name: (config changes, torch threads or None for torch's default, float32 even where bf16 is there)
    "eager": ({}, None, False),
    "compile": ({"compile": True}, None, False),
    "eager, 1 thread": ({}, 1, False),
    "eager, float32": ({}, None, True),
}


def measure(name: str, steps: int) -> dict:
    "Train `steps` steps of the CPU recipe as variant `name`; its speed."
    changes, threads, float32 = VARIANTS[name]
    default_threads = torch.get_num_threads()
    if threads: torch.set_num_threads(threads)
    cfg = replace(load_config("cpu_recipe"), max_steps=steps, eval_every=steps, eval_examples=16, **changes)
    try:
        with tempfile.TemporaryDirectory() as d:
            started = time.perf_counter()
            with patch("lottogpt.train.autocast_dtype", lambda device: None) if float32 else nullcontext():
                state = train(cfg, Path(d) / "run", device=torch.device("cpu"), progress=False)
            seconds = time.perf_counter() - started
    finally: torch.set_num_threads(default_threads)
    return {"variant": name, "threads": threads or default_threads, "steps": steps, "seconds": seconds,
            "tokens_per_s": state["trained_tokens"] / seconds}


def profile_steps(path: Path, start: int = 1200, steps: int = 3) -> None:
    "Write PyTorch's table of where `steps` steps of the CPU recipe from step `start` spend their time to `path`."
    from torch.profiler import ProfilerActivity, profile
    _extensions()  # the recipe's model and callbacks live in later chapters' modules
    cfg, cpu = load_config("cpu_recipe"), torch.device("cpu")
    tok = make_tokenizer(cfg)
    model = build_model(replace(cfg.model, vocab_size=tok.vocab_size))
    opt, state = make_optimizer(model, cfg, cpu), {"step": start}
    batches = iter(batches_from(StepBatches(tok, cfg, held_out_keys({"val": cfg.eval_examples})), start, 0))
    for _ in range(2): _step(cfg, model, model, opt, batches, state, cpu, 1)  # warm-up, untimed
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps): _step(cfg, model, model, opt, batches, state, cpu, 1)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25, max_name_column_width=60)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{steps} steps of cpu_recipe from step {start}; {environment()}\n{table}")
    print(table)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=150, help="steps per variant (default 150)")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--profile", type=Path, metavar="FILE",
                   help="write where a step's time goes here, and measure nothing else")
    args = p.parse_args()
    if args.profile: profile_steps(args.profile); raise SystemExit
    rows = []
    for name in args.variants:
        rows.append(measure(name, args.steps))
        print(f"{name:>16}: {rows[-1]['tokens_per_s']:9,.0f} trained tokens/s ({rows[-1]['seconds']:.0f} s)", flush=True)
    if args.out: save_result(args.out, {"environment": environment(), "config": "cpu_recipe", "rows": rows})
