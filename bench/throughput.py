"""Training throughput of lottogpt's GPT: tokens/s, MFU and peak memory, per shape and per way of running the step.

Shapes: `nano-6x384` and `nano-4x256` are the two nanoGPT reference shapes (random tokens, vocabulary 128, full blocks);
`base` is the `base` training config on real lotto batches (padded to the longest dialogue, made by DataLoader workers).
Modes: `eager`; `compile` (torch.compile, default mode); `graph` (torch.compile, then the whole step, forward, backward,
clipping and the fused AdamW update, captured once as a CUDA graph and replayed: one launch per step).
"Waiting for data" is the share of time spent getting the next batch; in `graph` mode it includes waiting for the GPU
(copying the next batch in waits for the step before), so there it says the GPU is busy, not that data is late.

    python bench/throughput.py                       # everything, results printed and written to --out
    python bench/throughput.py --shapes nano-6x384 --modes eager graph --steps 50
"""
import argparse
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

import torch

from lottogpt.evaluate import environment, save_result as save

from lottogpt.data import held_out_keys
from lottogpt.model import GPT, GPTConfig
from lottogpt.tokenizer import LottoTokenizer
from lottogpt.checkpoint import autocast_dtype
from lottogpt.config import load_config
from lottogpt.train import StepBatches, batches_from, make_optimizer

BASE = load_config("base")

# nanoGPT's figures on an H100 (torch 2.11, bf16, torch.compile, fused AdamW), tokens/s: the reference to beat
NANOGPT_TOKENS_PER_S = {"nano-6x384": 1.66e6, "nano-4x256": 4.96e6}
SHAPES = {  # name: (model, batch, block)
    "nano-6x384": (GPTConfig(vocab_size=128, block_size=256, n_layer=6, n_head=6, n_embd=384, bias=False), 64, 256),
    "nano-4x256": (GPTConfig(vocab_size=128, block_size=512, n_layer=4, n_head=4, n_embd=256, bias=False), 64, 512),
    "base": (BASE.model, BASE.batch_size, BASE.model.block_size),
}
MODES = ("eager", "compile", "graph")
PEAK_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16 tensor-core peaks


def flops_per_token(model: GPT, block: int) -> float:
    "nanoGPT's estimate (PaLM appendix B): 6 x parameters without the position table, plus attention's 12 L H Q T."
    cfg = model.cfg
    n = sum(p.numel() for p in model.parameters()) - (model.pos_emb.weight.numel() if cfg.positions == "learned" else 0)
    return 6 * n + 12 * cfg.n_layer * cfg.n_embd * block


def peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda": return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_FLOPS.items() if k in name), None)


def random_batches(vocab: int, batch: int, block: int, device: torch.device):
    g = torch.Generator(device="cpu").manual_seed(0)
    while True:
        x = torch.randint(0, vocab, (batch, block + 1), generator=g)
        yield x[:, :-1].to(device, non_blocking=True), x[:, 1:].to(device, non_blocking=True)


def lotto_batches(batch: int, device: torch.device, workers: int):
    tok = LottoTokenizer()
    data = StepBatches(tok, replace(BASE, batch_size=batch), held_out_keys({"val": BASE.eval_examples}))
    for x, y, _ in batches_from(data, 0, workers):
        yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def measure(shape: str, mode: str, steps: int, warmup: int, device: torch.device, workers: int, batch: int | None) -> dict:
    cfg, default_batch, block = SHAPES[shape]
    batch = batch or default_batch
    if shape == "base": cfg = replace(cfg, vocab_size=LottoTokenizer().vocab_size)
    torch.manual_seed(0)
    model = GPT(cfg).to(device)
    opt = make_optimizer(model, BASE, device)
    if mode == "graph":  # the update must read the step count from the GPU to be replayed
        groups = [{"params": g["params"], "weight_decay": g["weight_decay"]} for g in opt.param_groups]
        opt = torch.optim.AdamW(groups, lr=BASE.lr, betas=(0.9, 0.95), fused=True, capturable=True)
    forward = torch.compile(model) if mode in ("compile", "graph") else model
    amp = autocast_dtype(device)
    source = lotto_batches(batch, device, workers) if shape == "base" else random_batches(cfg.vocab_size, batch, block, device)
    waited = 0.0

    def next_batch():
        nonlocal waited
        asked = time.perf_counter()
        x, y = next(source)
        waited += time.perf_counter() - asked
        return x, y

    def step(x, y):
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            _, loss = forward(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    if mode == "graph":
        if device.type != "cuda": raise RuntimeError("CUDA graphs need a CUDA device")
        if shape == "base": raise RuntimeError("a CUDA graph needs one fixed batch shape; lotto batches vary in length")
        static_x, static_y = next_batch()
        side = torch.cuda.Stream(); side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm up off the default stream, as capture requires
            for _ in range(warmup):
                step(static_x, static_y); opt.zero_grad(set_to_none=True)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_loss = step(static_x, static_y)  # grads were None, so backward writes them fresh on each replay

        def run_step():
            x, y = next_batch()
            static_x.copy_(x, non_blocking=True); static_y.copy_(y, non_blocking=True)
            graph.replay()
            return static_loss, x.numel(), x.numel()
    else:
        def run_step():
            x, y = next_batch()
            loss = step(x, y)
            opt.zero_grad(set_to_none=True)
            return loss, x.numel(), int((y != -100).sum())
        for _ in range(warmup): run_step()

    if device.type == "cuda": torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(device)
    positions = trained = 0
    waited, t0 = 0.0, time.perf_counter()
    for _ in range(steps):
        loss, n_pos, n_trained = run_step()
        positions += n_pos; trained += n_trained
    final_loss = loss.item()  # waits for the last step
    elapsed = time.perf_counter() - t0
    per_token = flops_per_token(model, block)
    peak = peak_flops(device)
    result = {"shape": shape, "mode": mode, "batch": batch, "block": block, "steps": steps,
              "params": sum(p.numel() for p in model.parameters()), "tokens_per_s": positions / elapsed,
              "trained_tokens_per_s": trained / elapsed, "ms_per_step": 1000 * elapsed / steps, "loss": final_loss, "data_wait": waited / elapsed,
              "mfu": per_token * positions / elapsed / peak if peak else None,
              "peak_memory_gib": torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None}
    if shape in NANOGPT_TOKENS_PER_S: result["vs_nanogpt"] = result["tokens_per_s"] / NANOGPT_TOKENS_PER_S[shape]
    return result


def table(results: list[dict]) -> str:
    lines = ["| shape | mode | tokens/s | vs nanoGPT | MFU | ms/step | waiting for data | peak memory |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['shape']} | {r['mode']} | failed: {r['error']} | | | | | |"); continue
        vs = f"{r['vs_nanogpt']:.2f}x" if "vs_nanogpt" in r else ""
        mfu = f"{r['mfu']:.1%}" if r["mfu"] else ""
        mem = f"{r['peak_memory_gib']:.2f} GiB" if r["peak_memory_gib"] is not None else ""
        lines.append(f"| {r['shape']} | {r['mode']} | {r['tokens_per_s'] / 1e6:.2f}M | {vs} | {mfu} | {r['ms_per_step']:.2f} | {r['data_wait']:.0%} | {mem} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--steps", type=int, default=100, help="timed steps per measurement (default 100)")
    p.add_argument("--warmup", type=int, default=10, help="untimed steps first, compilation included (default 10)")
    p.add_argument("--batch", type=int, help="override every shape's batch size (for a quick CPU check)")
    p.add_argument("--workers", type=int, default=BASE.workers,
                   help=f"DataLoader workers for the lotto batches (default {BASE.workers}, as the base config)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.steps < 1 or args.warmup < 1: p.error("--steps and --warmup must be at least 1")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    results = []
    for shape in args.shapes:
        for mode in args.modes:
            try: r = measure(shape, mode, args.steps, args.warmup, device, args.workers, args.batch)
            except Exception as e:  # one mode failing (no CUDA, no compiler) should not lose the others
                traceback.print_exc(limit=-3)
                r = {"shape": shape, "mode": mode, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"}
            results.append(r)
            print(table([r]).splitlines()[-1], flush=True)
    env = environment()
    print(f"\n{env['device']}, torch {env['torch']}, Python {env['python']}\n" + table(results))
    if args.out: save(args.out, {"environment": env, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
