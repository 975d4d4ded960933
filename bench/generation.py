"""Generation speed of the lotto machine: with and without the KV cache, one dialogue at a time and batched.

Every row is a 20-ticket console purchase run through `run_scripts` (chapter 06) for exactly as many tokens as the real
20-ticket dialogue has, so the work is the same whatever the weights; the model is the `base` config, untrained.

    python bench/generation.py --out results/generation-h100.json
"""
import argparse
import json
import platform
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from lottogpt.data import random_draw  # noqa: E402
from lottogpt.lotto import buy, dialogue  # noqa: E402
from lottogpt.machine import console_script, run_scripts  # noqa: E402
from lottogpt.model import GPT  # noqa: E402
from lottogpt.tokenizer import LottoTokenizer  # noqa: E402
from lottogpt.train import CONFIGS  # noqa: E402


class NeverStops(torch.nn.Module):
    "The model with `<|endoftext|>` made impossible, so every row runs the full length."
    def __init__(self, model: GPT, eot_id: int):
        super().__init__()
        self.model, self.cfg, self.blocks, self.head, self.eot_id = model, model.cfg, model.blocks, model.head, eot_id
    def forward(self, idx, cache=None):
        logits = self.model(idx, cache=cache)
        logits[..., self.eot_id] = float("-inf")
        return logits


def timed(model, tok, scripts, length, use_cache, batch_size) -> float:
    if model.head.weight.is_cuda: torch.cuda.synchronize()
    t = time.perf_counter()
    run_scripts(model, tok, scripts, max_tokens=length, use_cache=use_cache, batch_size=batch_size,
                generator=torch.Generator(model.head.weight.device).manual_seed(0))
    if model.head.weight.is_cuda: torch.cuda.synchronize()
    return time.perf_counter() - t


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dialogues", type=int, default=256, help="dialogues in the batched measurement (default 256)")
    p.add_argument("--one-at-a-time", type=int, default=8, help="dialogues run singly, to time one (default 8)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tok = LottoTokenizer()
    torch.manual_seed(0)
    model = NeverStops(GPT(replace(CONFIGS["base"].model, vocab_size=tok.vocab_size)).to(device).eval(), tok.eot_id)
    rng = random.Random(0)
    purchases = [(20_000, random_draw(rng)) for _ in range(args.dialogues)]
    length = len(tok.encode(dialogue(buy(20_000, rng), purchases[0][1]))) + 1
    scripts = [console_script(a, d, tok) for a, d in purchases]
    timed(model, tok, scripts[:2], length, True, 2)  # warm up kernels
    results = []
    for use_cache in (True, False):
        single = sum(timed(model, tok, [s], length, use_cache, 1) for s in scripts[:args.one_at_a_time]) / args.one_at_a_time
        batched = timed(model, tok, scripts, length, use_cache, len(scripts)) / len(scripts)
        for mode, per_dialogue in (("one at a time", single), (f"batch of {len(scripts)}", batched)):
            results.append({"cache": use_cache, "mode": mode, "ms_per_dialogue": 1000 * per_dialogue,
                            "tokens_per_s": (length - len(scripts[0].opening)) / per_dialogue})
            print(f"cache {'on ' if use_cache else 'off'} {mode:>14}: {1000 * per_dialogue:9.2f} ms per dialogue", flush=True)
    speedup = results[2]["ms_per_dialogue"] / results[0]["ms_per_dialogue"]  # one at a time: without over with
    env = {"device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() or "cpu",
           "torch": torch.__version__, "python": platform.python_version(), "command": " ".join(sys.argv),
           "tokens_per_dialogue": length}
    print(f"{env['device']}: the cache is {speedup:.1f}x faster for one 20-ticket dialogue ({length} tokens)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"environment": env, "cache_speedup_one_dialogue": speedup, "results": results},
                                       indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
