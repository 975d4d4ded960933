"""How fast a recipe's training batches are made: in this process alone, and by DataLoader workers as training gets
them (pinned, on a GPU machine), for several numbers of workers, and the most workers again unpinned. The GPU recipe
needs one batch per step.

    python bench/data_speed.py --workers 8 14 --batches 150 --out results/05/data-speed-h200.json
"""
import argparse
import os
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from lottogpt.config import load_config, make_tokenizer
from lottogpt.data import held_out_keys
from lottogpt.evaluate import environment, save_result
from lottogpt.train import StepBatches, batches_from


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="gpu_recipe", help="a named config (default gpu_recipe)")
    p.add_argument("--workers", type=int, nargs="+", default=[4, 8, 12], help="numbers of workers to try")
    p.add_argument("--batches", type=int, default=200, help="batches timed per measurement (default 200)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.batches < 1 or min(args.workers) < 1: p.error("--batches and --workers must be at least 1")
    cfg = load_config(args.config)
    tok = make_tokenizer(cfg)
    data = StepBatches(tok, cfg, held_out_keys({"val": cfg.eval_examples}))
    rows, t = [], time.perf_counter()
    alone = max(10, args.batches // 10)
    for i in range(alone): data[i]
    rows.append({"workers": 0, "batches_per_s": alone / (time.perf_counter() - t)})
    print(f"this process alone: {rows[-1]['batches_per_s']:.1f} batches/s", flush=True)
    for workers, pinned in [(w, True) for w in args.workers] + [(max(args.workers), False)]:
        loader = batches_from(data, 0, workers) if pinned else DataLoader(
            data, batch_size=None, sampler=range(len(data)), num_workers=workers, persistent_workers=True)
        batches = iter(loader)
        for _ in range(2 * workers): next(batches)  # the workers have started and filled their queues once
        t = time.perf_counter()
        for _ in range(args.batches): next(batches)
        rows.append({"workers": workers, "pinned": pinned and torch.cuda.is_available(),
                     "batches_per_s": args.batches / (time.perf_counter() - t)})
        print(f"{workers} workers{'' if pinned else ', not pinned'}: {rows[-1]['batches_per_s']:.1f} batches/s", flush=True)
        del batches, loader
    if args.out: save_result(args.out, {"config": args.config, "cpus": os.cpu_count(), "rows": rows,
                                        "environment": environment()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
