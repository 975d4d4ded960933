"""Training throughput: tokens/s, MFU and peak memory, per shape and per way of running the step.

Shapes: `nano-6x384` and `nano-4x256` are two nanoGPT reference shapes (random tokens, vocabulary 128, full blocks, bf16,
fused AdamW, gradient clipping); `gpu_recipe` is chapter 08's GPU recipe on its real batches, made by its DataLoader
workers as in training. lottogpt's modes: `eager`; `compile` (torch.compile); `graph` (chapter 05e's `GraphedSteps`:
the whole step, forward, backward, clipping and the AdamW update, replayed from a CUDA graph); `compile+graph` (the
same around the compiled model); `autotune+graph` (the same, compiled with `max-autotune-no-cudagraphs`, which times
several kernels for each matrix product and keeps the fastest). For `gpu_recipe`: `plain` (chapter 05d's step), `graph`
(the recipe as it trains) and `compile+graph`. With `--nanogpt PATH` (a copy of
nanoGPT's `model.py`, kept outside this repository), nanoGPT's model runs the nano shapes too: `eager`, `compile` and
`compile reduce-overhead`. With `--profile DIR`, each way's busiest GPU kernels go to a text file there. Peak
memory leaves out the private memory pools of CUDA graphs.

    python bench/throughput.py --out results/05/throughput-h200.json
    python bench/throughput.py --shapes nano-6x384 --modes eager graph --steps 50
"""
import argparse
import importlib.util
import re
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

import torch

from lottogpt.checkpoint import autocast_dtype
from lottogpt.config import load_config, make_tokenizer
from lottogpt.data import held_out_keys
from lottogpt.evaluate import environment, save_result
from lottogpt.fast import GraphedSteps
from lottogpt.model import GPT, GPTConfig, build_model
from lottogpt.train import StepBatches, _step, batches_from, lr_at, make_optimizer

RECIPE = load_config("gpu_recipe")
NANO_SHAPES = {  # name: (model, batch, block)
    "nano-6x384": (GPTConfig(vocab_size=128, block_size=256, n_layer=6, n_head=6, n_embd=384, bias=False), 64, 256),
    "nano-4x256": (GPTConfig(vocab_size=128, block_size=512, n_layer=4, n_head=4, n_embd=256, bias=False), 64, 512),
}
SHAPES = [*NANO_SHAPES, "gpu_recipe"]
MODES = {"lottogpt": ("eager", "compile", "graph", "compile+graph", "autotune+graph"),
         "nanoGPT": ("eager", "compile", "compile reduce-overhead"),
         "recipe": ("plain", "graph", "compile+graph")}
KERNELS = ("cudnn", "flash", "mem_efficient", "math")  # PyTorch's attention kernels; --attention allows one, or all
ATTENTION = {"default": KERNELS, "cudnn": ("cudnn",), "flash": ("flash",), "efficient": ("mem_efficient",)}
PEAK_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16 tensor-core peaks


def flops_per_token(model: torch.nn.Module, layers: int, width: int, block: int, table: int) -> float:
    "nanoGPT's estimate (PaLM appendix B): 6 x parameters without the position table, plus attention's 12 L H Q T."
    return 6 * (sum(p.numel() for p in model.parameters()) - table) + 12 * layers * width * block


def random_batches(vocab: int, batch: int, block: int):
    "Endless (inputs, targets) of random tokens, pinned for fast copies to the GPU."
    g = torch.Generator().manual_seed(0)
    while True:
        x = torch.randint(0, vocab, (batch, block + 1), generator=g)
        x, y = x[:, :-1].contiguous(), x[:, 1:].contiguous()
        yield (x.pin_memory(), y.pin_memory()) if torch.cuda.is_available() else (x, y)


def plain_step(model, forward, opt, batches, device, clip: float = 1.0):
    "A step as nanoGPT's train.py takes one: a step function giving (trained tokens, seconds waited for data)."
    amp = autocast_dtype(device)

    def step():
        asked = time.perf_counter()
        x, y = (t.to(device, non_blocking=True) for t in next(batches))
        waited = time.perf_counter() - asked
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            _, loss = forward(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step(); opt.zero_grad(set_to_none=True)
        return y.numel(), waited
    return step


def nanogpt_runner(path: Path, shape: str, mode: str, device: torch.device):
    "nanoGPT's model at a nano shape, stepped as its train.py does; (step, flops per token)."
    spec = importlib.util.spec_from_file_location("nanogpt_model", path)
    nano = importlib.util.module_from_spec(spec); spec.loader.exec_module(nano)
    ours, batch, block = NANO_SHAPES[shape]
    torch.manual_seed(0)
    model = nano.GPT(nano.GPTConfig(block_size=block, vocab_size=ours.vocab_size, n_layer=ours.n_layer,
                                    n_head=ours.n_head, n_embd=ours.n_embd, dropout=0.0, bias=False)).to(device)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95), device.type)
    forward = {"eager": model, "compile": torch.compile(model),
               "compile reduce-overhead": torch.compile(model, mode="reduce-overhead")}[mode]
    table = model.transformer.wpe.weight.numel()
    step = plain_step(model, forward, opt, random_batches(ours.vocab_size, batch, block), device)
    return step, flops_per_token(model, ours.n_layer, ours.n_embd, block, table)


def lottogpt_runner(shape: str, mode: str, device: torch.device, workers: int):
    "lottogpt's model at `shape`, stepped in `mode`; (step, flops per token)."
    torch.manual_seed(0)
    if shape == "gpu_recipe":
        cfg = RECIPE
        tok = make_tokenizer(cfg)
        model = build_model(replace(cfg.model, vocab_size=tok.vocab_size)).to(device)
        opt, state = make_optimizer(model, cfg, device), {"step": 0}
        batches = iter(batches_from(StepBatches(tok, cfg, held_out_keys({"val": cfg.eval_examples})), 0, workers))
        forward = torch.compile(model) if mode.startswith("compile") else model
        run = GraphedSteps(cfg, model, opt, device, lr_at, forward=forward) if mode.endswith("graph") else \
            lambda batches, state: _step(cfg, model, model, opt, batches, state, device, 1)

        def step():
            sums, waited = run(batches, state)
            return sums[1], waited  # trained tokens, counted on the GPU
        return step, None  # the recipe's rows vary in length: no single estimate of its flops
    gpt, batch, block = NANO_SHAPES[shape]
    model = GPT(gpt).to(device)
    cfg = replace(RECIPE, lr=1e-3, weight_decay=0.1, grad_clip=1.0)
    opt, batches = make_optimizer(model, cfg, device), random_batches(gpt.vocab_size, batch, block)
    forward = {"compile": lambda: torch.compile(model), "autotune": lambda: torch.compile(
        model, mode="max-autotune-no-cudagraphs")}.get(mode.split("+")[0], lambda: model)()
    flops = flops_per_token(model, gpt.n_layer, gpt.n_embd, block, model.pos_emb.weight.numel())
    if "graph" not in mode: return plain_step(model, forward, opt, batches, device), flops
    run, state = GraphedSteps(cfg, model, opt, device, lr_at, bucket=block, forward=forward), {"step": 0}

    def step():
        sums, waited = run(batches, state)
        return sums[1], waited
    return step, flops


def measure(implementation: str, shape: str, mode: str, steps: int, warmup: int, device: torch.device, args) -> dict:
    "Time `steps` steps after `warmup` untimed ones (compilation and captures included there)."
    if implementation == "nanoGPT": step, per_token = nanogpt_runner(args.nanogpt, shape, mode, device)
    else: step, per_token = lottogpt_runner(shape, mode, device, args.workers)
    started = time.perf_counter()
    for _ in range(warmup): step()
    torch.cuda.synchronize()
    warmup_s = time.perf_counter() - started
    if args.profile:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(5): step()
            torch.cuda.synchronize()
        args.profile.mkdir(parents=True, exist_ok=True)
        operations = sum(e.count for e in prof.key_averages() if e.device_type.name == "CUDA") / 5
        table = prof.key_averages().table(sort_by="cuda_time_total", row_limit=30, max_name_column_width=70)
        way = f"{shape}-{implementation}-{mode}" + (f"-{args.attention}" if args.attention else "")
        name = re.sub(r"[^\w.-]", "_", way)  # a file name of letters, digits, . _ -
        counted = f"{operations:.0f} GPU operations a step (kernels, copies, memsets)"
        (args.profile / f"{name}.txt").write_text(f"{counted}\n{table}")
    torch.cuda.reset_peak_memory_stats(device)
    tokens, waited, t0 = 0, 0.0, time.perf_counter()
    for _ in range(steps):
        n, wait = step()
        tokens = tokens + n; waited += wait
    torch.cuda.synchronize()  # the clock stops when the GPU has finished the last step
    elapsed = time.perf_counter() - t0
    tokens = float(tokens)
    peak = next((v for k, v in PEAK_FLOPS.items() if k in torch.cuda.get_device_name(device)), None)
    return {"shape": shape, "implementation": implementation, "mode": mode, "steps": steps,
            "warmup_s": round(warmup_s, 2), "tokens_per_s": tokens / elapsed, "ms_per_step": 1000 * elapsed / steps,
            "data_wait": waited / elapsed, "mfu": per_token * tokens / elapsed / peak if peak and per_token else None,
            "peak_memory_gib": torch.cuda.max_memory_allocated(device) / 2**30}


def table(results: list[dict]) -> str:
    lines = ["| shape | implementation | mode | tokens/s | ms/step | MFU | waiting for data | peak memory |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['shape']} | {r['implementation']} | {r['mode']} | failed: {r['error']} | | | | |")
            continue
        lines.append(f"| {r['shape']} | {r['implementation']} | {r['mode']} | {r['tokens_per_s'] / 1e6:.2f}M | "
                     f"{r['ms_per_step']:.2f} | {r['mfu'] or 0:.1%} | {r['data_wait']:.0%} | {r['peak_memory_gib']:.2f} GiB |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="+", choices=SHAPES, default=SHAPES)
    p.add_argument("--modes", nargs="+", help="modes to run (default: every mode of each implementation)")
    p.add_argument("--steps", type=int, default=100, help="timed steps per measurement (default 100)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first, compilation included (default 20)")
    p.add_argument("--workers", type=int, default=RECIPE.workers,
                   help=f"DataLoader workers for the recipe's batches (default {RECIPE.workers}, as the recipe)")
    p.add_argument("--nanogpt", type=Path, help="nanoGPT's model.py, to run its model at the nano shapes too")
    p.add_argument("--profile", type=Path, help="write each way's busiest GPU kernels to a file in this folder")
    p.add_argument("--attention", choices=list(ATTENTION),
                   help="the attention kernel to run ('default': PyTorch's choice among all), compiling with the "
                        "compiler's cache off, since a cached compiled step keeps the kernel it was compiled with")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.steps < 1 or args.warmup < 1: p.error("--steps and --warmup must be at least 1")
    if args.nanogpt and not args.nanogpt.is_file(): p.error(f"no file at {args.nanogpt}")
    if not torch.cuda.is_available(): p.error("this benchmark measures a CUDA GPU, and this machine has none")
    device = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    if args.attention:  # before anything is compiled
        for kernel in KERNELS: getattr(torch.backends.cuda, f"enable_{kernel}_sdp")(kernel in ATTENTION[args.attention])
        from torch._inductor import config as compiler_config
        compiler_config.force_disable_caches = True
    runs = []
    for shape in args.shapes:
        kinds = ["recipe"] if shape == "gpu_recipe" else ["lottogpt", *(["nanoGPT"] if args.nanogpt else [])]
        runs += [(kind, shape, mode) for kind in kinds for mode in MODES[kind] if not args.modes or mode in args.modes]
    results, env = [], environment()
    for kind, shape, mode in runs:
        implementation = "lottogpt" if kind == "recipe" else kind
        try: r = measure(implementation, shape, mode, args.steps, args.warmup, device, args)
        except Exception as e:  # one mode failing (no compiler, say) should not lose the others
            traceback.print_exc(limit=-3)
            r = {"shape": shape, "implementation": implementation, "mode": mode,
                 "error": f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"}
        results.append({**r, "attention": args.attention or "default"})
        print(table([r]).splitlines()[-1], flush=True)
        if args.out: save_result(args.out, {"environment": env, "results": results})  # a run cut short keeps the rest
    print(f"\n{env['device']}, torch {env['torch']}, Python {env['python']}\n" + table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
