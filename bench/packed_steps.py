"""The GPU recipe's step on packed rows against the step as the recipe trains (chapter 05f). The recipe pads every row
of a batch to 1,024 tokens, and its 128 dialogues average about 560. Three ways step through the same batches:

- `padded`: the step as the recipe trains (chapter 05e's `GraphedSteps`, rows padded to a multiple of 128);
- `packed, dense mask`: chapter 05f's `PackedSteps`, the batch's dialogues packed into fewer rows of 1,024, attention
  kept inside each dialogue by chapter 04's dense (rows, 1, T, T) mask, which PyTorch's fused kernels cannot skip
  blocks of;
- `packed, block mask`: the same with `use_block_masks`: attention by `flex_attention`, which skips the blocks of the
  score matrix that no dialogue's tokens share (GPU only: it has no backward pass on a CPU).

Each way is compiled (with `--compile`) and, on a GPU, captured as CUDA graphs and replayed, as the recipe trains. A
first pass through the batches is the warm-up (captures and compiling); the second is timed. Before timing, the first
batch's loss is computed each way on the CPU in float32, and they must agree: packing moves tokens, it does not change
what they see.

    python bench/packed_steps.py --batches 2 --device cpu --out results/05/packed-steps-cpu.json
    python bench/packed_steps.py --compile --batches 60 --out results/05/packed-steps-h100.json
"""
import argparse
import time

import torch

from lottogpt.evaluate import environment, save_result
from lottogpt.fast import GraphedSteps
from lottogpt.packing import PackedSteps, pack_rows, use_block_masks
from lottogpt.train import lr_at, make_optimizer

from grouped_steps import RECIPE, fresh_model, recipe_batches, two_passes

WAYS = ["padded", "packed, dense mask", "packed, block mask"]


def first_batch_losses(batch: tuple) -> dict:
    "The first batch's loss in float32 on the CPU: padded, packed with the dense mask, packed with the block mask."
    model = fresh_model(torch.device("cpu"))
    x, y, w, at, documents = pack_rows(batch, 1024)
    with torch.no_grad():
        losses = {"padded": model(*batch[:2], positions=batch[3], weights=batch[2])[1].item(),
                  "packed, dense mask": model(x, y, positions=at, documents=documents, weights=w)[1].item()}
        use_block_masks(model)
        losses["packed, block mask"] = model(x, y, positions=at, documents=documents, weights=w)[1].item()
    return losses


def measure(way: str, batches: list, device: torch.device, compile: bool) -> dict:
    "Two passes of one way's steps through `batches`, the second timed."
    torch._dynamo.reset()  # each way compiles afresh
    model = fresh_model(device)
    if way == "packed, block mask": use_block_masks(model)
    forward = torch.compile(model) if compile else model
    args = (RECIPE, model, make_optimizer(model, RECIPE, device), device, lr_at)
    kw, state = {"capture": device.type == "cuda", "forward": forward}, {"step": 0}
    steps = GraphedSteps(*args, **kw) if way == "padded" else PackedSteps(*args, **kw)
    warmup_s, seconds = two_passes(lambda batch: steps(iter([batch]), state), batches, device)
    positions = [len(part[0]) * length for batch in batches for part, length in steps._pieces(batch)]
    return {"way": way, "steps": len(batches), "ms_per_step": 1000 * seconds / len(batches),
            "warmup_s": round(warmup_s, 2), "positions_per_step": sum(positions) / len(batches),
            "shapes": len(steps.shapes) if steps.capture else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, default=20, help="batches of the recipe in each pass (default 20)")
    p.add_argument("--compile", action="store_true", help="compile the model, as the recipe's `compile: true` does")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="where to run (default: the GPU where there is one)")
    p.add_argument("--ways", nargs="+", choices=WAYS,
                   help="which ways to time (default: all three on a GPU, the first two on a CPU)")
    p.add_argument("--out", help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.batches < 1: p.error("--batches must be at least 1")
    try: device = torch.device(args.device)
    except RuntimeError: p.error(f"no device called {args.device!r}: name cpu or cuda")
    if device.type == "cuda" and not torch.cuda.is_available(): p.error("this machine has no CUDA GPU")
    ways = args.ways or (WAYS if device.type == "cuda" else WAYS[:2])
    if device.type == "cpu" and WAYS[2] in ways:
        p.error("block masks train on GPUs only (flex_attention has no backward pass on a CPU): leave that way out")
    batches = recipe_batches(args.batches, pin=device.type == "cuda")
    losses = first_batch_losses(batches[0])
    started = time.perf_counter()
    for batch in batches: pack_rows(batch, 1024)
    pack_ms = 1000 * (time.perf_counter() - started) / len(batches)
    print(f"packing a batch on this machine's CPU: {pack_ms:.1f} ms", flush=True)
    print(f"first batch's loss each way: {losses}", flush=True)
    if max(losses.values()) - min(losses.values()) > 1e-4: raise SystemExit("packing changed the loss: stopped")
    rows = []
    for way in ways:
        rows.append(measure(way, batches, device, args.compile))
        r = rows[-1]
        print(f"{way:>20}: {r['ms_per_step']:7.2f} ms a step, {r['positions_per_step']:9,.0f} positions, "
              f"warm-up {r['warmup_s']} s", flush=True)
    if args.out:
        save_result(args.out, {"environment": environment(), "config": "gpu_recipe", "compile": args.compile,
                               "first_batch_loss": losses, "pack_ms": pack_ms, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
