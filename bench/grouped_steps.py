"""The GPU recipe's training step with each batch's rows in groups by length (chapter 05e's `GroupedSteps`), against the
step as the recipe trains (`GraphedSteps`: every row padded to a multiple of 128): milliseconds a step, and the
positions a step computes. Every way steps through the same batches, made before the clock starts, so the data's
speed is left out. A first pass through them is the warm-up (on a GPU it captures a graph for each combination of
lengths, and compiles with `--compile`); the second pass is timed, so the cost of capturing and compiling is left out
(the warm-up's seconds are recorded beside it). On a CPU the steps run op by op. With `--unsorted`, chapter 05d's plain
step also takes each batch whole and as that many micro-batches of rows in the order they were drawn, each cut after
its own last trained target: what splitting alone saves, without sorting. (Those micro-batches train `grad_accum`'s
differently weighted loss; they compute the same rows.)

    python bench/grouped_steps.py --batches 6 --unsorted --out results/05/grouped-steps-cpu.json
    python bench/grouped_steps.py --compile --batches 100 --out results/05/grouped-steps-h200.json
"""
import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from lottogpt.config import load_config, make_tokenizer
from lottogpt.data import IGNORE, held_out_keys
from lottogpt.evaluate import environment, save_result
from lottogpt.fast import GraphedSteps, GroupedSteps
from lottogpt.model import build_model
from lottogpt.train import StepBatches, _step, lr_at, make_optimizer

RECIPE = load_config("gpu_recipe")


def fresh_model(device: torch.device) -> torch.nn.Module:
    "The recipe's model as every way starts it."
    torch.manual_seed(0)
    return build_model(replace(RECIPE.model, vocab_size=make_tokenizer(RECIPE).vocab_size)).to(device)


def recipe_batches(n: int, pin: bool) -> list[tuple]:
    "The recipe's first `n` batches, as its DataLoader hands them over (in pinned memory where a GPU trains)."
    data = StepBatches(make_tokenizer(RECIPE), RECIPE, held_out_keys({"val": RECIPE.eval_examples}))
    return [tuple(t.pin_memory() if pin else t for t in data[i]) for i in range(n)]


def two_passes(step, items: list, device: torch.device) -> tuple[float, float]:
    "`step` on each item twice over: the seconds of the first pass (the warm-up) and of the second (timed)."
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        for item in items: step(item)
        sync()  # the clock stops when the GPU has finished the pass
        seconds.append(time.perf_counter() - started)
    return seconds[0], seconds[1]


def measure(groups: int, batches: list, device: torch.device, compile: bool) -> dict:
    "Two passes of one way's steps through `batches`, the second timed; `groups` 0 is the recipe's own step."
    torch._dynamo.reset()  # each way compiles afresh, not into the previous way's cache and its limits
    model = fresh_model(device)
    forward = torch.compile(model) if compile else model
    args = (RECIPE, model, make_optimizer(model, RECIPE, device), device, lr_at)
    kw = {"capture": device.type == "cuda", "forward": forward}
    steps = GroupedSteps(*args, groups=groups, **kw) if groups else GraphedSteps(*args, **kw)
    state = {"step": 0}
    warmup_s, seconds = two_passes(lambda batch: steps(iter([batch]), state), batches, device)
    shapes = [[(len(part[0]), length) for part, length in steps._pieces(batch)] for batch in batches]
    return {"groups": groups or 1, "way": "GroupedSteps" if groups else "GraphedSteps (as the recipe trains)",
            "steps": len(batches), "ms_per_step": 1000 * seconds / len(batches), "warmup_s": round(warmup_s, 2),
            "positions_per_step": sum(r * n for key in shapes for r, n in key) / len(batches),
            "shapes": len({tuple(key) for key in shapes})}


def micro_batches(batch: tuple, n: int) -> list[tuple]:
    "`batch`'s rows in `n` micro-batches in their order, each cut after its last trained target."
    parts = []
    for rows in torch.arange(len(batch[0])).chunk(n):
        trained = (batch[1][rows] != IGNORE).any(0)
        end = int(trained.nonzero().max()) + 1 if trained.any() else 1
        parts.append(tuple(t[rows, :end].pin_memory() if t.is_pinned() else t[rows, :end] for t in batch))
    return parts


def measure_unsorted(groups: int, batches: list, device: torch.device) -> dict:
    "Chapter 05d's plain step, each batch as `groups` micro-batches in drawn order (no graphs, no compiling)."
    model = fresh_model(device)
    micro = [micro_batches(batch, groups) for batch in batches]
    cfg = replace(RECIPE, grad_accum=len(micro[0]))
    opt, state = make_optimizer(model, cfg, device), {"step": 0}
    _, seconds = two_passes(lambda parts: _step(cfg, model, model, opt, iter(parts), state, device, 1), micro, device)
    way = "plain step, whole batch" if len(micro[0]) == 1 else "plain step, micro-batches in drawn order"
    return {"groups": len(micro[0]), "way": way, "steps": len(batches),
            "ms_per_step": 1000 * seconds / len(batches), "warmup_s": None,
            "positions_per_step": sum(p[0].numel() for parts in micro for p in parts) / len(batches),
            "shapes": len({tuple(p[0].shape for p in parts) for parts in micro})}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--groups", nargs="+", type=int, default=[2, 4, 8],
                   help="numbers of groups to measure beside the recipe's own step (default 2 4 8)")
    p.add_argument("--batches", type=int, default=20, help="batches of the recipe in each pass (default 20)")
    p.add_argument("--compile", action="store_true", help="compile the model, as `compile: true` does")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="where to run (default: the GPU where there is one)")
    p.add_argument("--unsorted", action="store_true",
                   help="also time chapter 05d's plain step on the same splits in drawn order")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.batches < 1 or any(g < 1 for g in args.groups): p.error("--batches and --groups must be at least 1")
    try: device = torch.device(args.device)
    except RuntimeError: p.error(f"no device called {args.device!r}: name cpu or cuda")
    if device.type == "cuda" and not torch.cuda.is_available(): p.error("this machine has no CUDA GPU")
    batches = recipe_batches(args.batches, pin=device.type == "cuda")
    rows = []
    ways = [(measure, (0, batches, device, args.compile)),
            *((measure, (g, batches, device, args.compile)) for g in args.groups),
            *((measure_unsorted, (g, batches, device)) for g in ((1, *args.groups) if args.unsorted else []))]
    for way, way_args in ways:
        rows.append(way(*way_args))
        r = rows[-1]
        print(f"{r['way']:>41}, {r['groups']} piece(s): {r['ms_per_step']:8.1f} ms a step, "
              f"{r['positions_per_step']:9,.0f} positions, {r['shapes']} combinations of shapes", flush=True)
    if args.out:
        save_result(args.out, {"environment": environment(), "config": "gpu_recipe", "compile": args.compile,
                               "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
