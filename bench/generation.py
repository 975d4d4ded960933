"""Generation speed of the lotto machine (chapter 06's `generation_speed`): with the KV cache and its step replayed as a
CUDA graph, with the cache alone, and recomputing every step, for several batch sizes, for 20-ticket console purchases, with the `base` model (untrained: the work is the
same whatever the weights).

    python bench/generation.py --out results/06/generation-h100.json
"""
import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch

from lottogpt.evaluate import environment, save_result as save

from lottogpt.machine import generation_speed
from lottogpt.model import GPT
from lottogpt.tokenizer import LottoTokenizer
from lottogpt.config import load_config


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 16, 64, 256, 1024], help="default 1 4 16 64 256 1024")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    if min(args.batch_sizes) < 1: p.error("batch sizes must be at least 1")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tok = LottoTokenizer()
    torch.manual_seed(0)
    model = GPT(replace(load_config("base").model, vocab_size=tok.vocab_size)).to(device).eval()
    speed = generation_speed(model, tok, tuple(args.batch_sizes))
    for r in speed: print(f"batch {r['batch']:>5}: {r.get('cache_graph_ms', float('nan')):9.2f} ms per dialogue with the "
                          f"KV cache and CUDA graph, {r['cache_ms']:9.2f} with the cache alone, {r['no_cache_ms']:9.2f} "
                          f"without ({r['cache_speedup']:.1f}x)")
    if args.out: save(args.out, {"environment": environment(), "speed": speed})
    return 0


if __name__ == "__main__":
    sys.exit(main())
