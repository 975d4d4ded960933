"""A fingerprint of the training data: one SHA-256 over the first batches of several configs and over the test sets.
Run it on two versions of the package to check that a change made to speed the data up left every batch as it was.

    python bench/batch_digest.py --out results/05/batch-digest-cpu.json
    python bench/batch_digest.py --configs gpu_recipe cpu_recipe --batches 0 1 1000
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path

from lottogpt.config import load_config, make_tokenizer
from lottogpt.data import TEST_SETS, held_out_keys, make_set
from lottogpt.evaluate import environment, save_result
from lottogpt.train import StepBatches

CONFIGS = ["gpu_recipe", "cpu_recipe", "recipe_stress", "long_recipe", "original"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="+", default=CONFIGS, help=f"configs whose batches count (default {' '.join(CONFIGS)})")
    p.add_argument("--batches", type=int, nargs="+", default=[0, 1, 7, 1000], help="batch numbers (default 0 1 7 1000)")
    p.add_argument("--examples", type=int, default=300, help="purchases of each test set (default 300)")
    p.add_argument("--out", type=Path, help="also write the digest, with what it covers, as JSON here")
    args = p.parse_args(argv)
    digest = hashlib.sha256()
    for name in args.configs:
        try: cfg = load_config(name)
        except ValueError as e: p.error(str(e))
        data = StepBatches(make_tokenizer(cfg), cfg, held_out_keys({"val": cfg.eval_examples}))
        for i in args.batches:
            for t in data[i]: digest.update(f"{t.dtype}{tuple(t.shape)}".encode()); digest.update(t.numpy().tobytes())
    for name in TEST_SETS:
        digest.update(json.dumps([e.to_dict() for e in make_set(name, args.examples)]).encode())
    print(digest.hexdigest())
    if args.out: save_result(args.out, {"digest": digest.hexdigest(), "configs": args.configs, "batches": args.batches,
                                        "examples": args.examples, "environment": environment()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
