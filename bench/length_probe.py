"""Chapter 08's length probe: how long a purchase does a trained run's scratchpad stay right for? For each run and
each purchase size, the real program's dialogues of `--n` purchases are fed in whole (teacher forcing), and every
scratchpad line is scored: its copied numbers, its marks, its count and (a tally scratchpad) its running tally, each
right only if every token of that kind in the line is the model's most likely next token; and where in the scratchpad
the lines that the counting tool would read wrong lie (lines 1-20, 21-40, ...: `by_band`). Writes one JSON file.

    python bench/length_probe.py runs/ref-recipe_stress runs/ablation-length_hybrid runs/ablation-length_nope \
        --out results/length-probe-cpu.json
"""
import argparse
import random
import sys
from pathlib import Path

import torch

from lottogpt.checkpoint import load_run
from lottogpt.counting import CoupledPositions
from lottogpt.data import encode_example, get_format, random_example
from lottogpt.evaluate import environment, save_result as save

KINDS = ("copy", "mark", "count", "tally")  # a line without a tally has its tally right
READ = ("copy", "mark", "count")  # what chapter 06's counting tool reads of a line
BAND = 20  # scratchpad lines per band of `by_band`


def token_kinds(ids: list[int], tok) -> list[tuple[int, str] | None]:
    "For each token: (scratchpad line, kind) if it is a copied number, a mark, the count or a tally's count; else None."
    out, line, after_equals, in_scratch, counted = [], -1, False, False, False
    for i in ids:
        text = tok.decode([i])
        if "#" in text: in_scratch, line, after_equals, counted = True, line + 1, False, False
        elif in_scratch and "당첨" in text: in_scratch = False
        kind = None
        if in_scratch and "#" not in text:
            if "=" in text: after_equals = True
            elif text.strip().isdigit():
                kind = ("tally" if counted else "count") if after_equals else "copy"
                counted |= after_equals
            elif text.strip() in (":", ".", "보"): kind = "mark"
        out.append((line, kind) if kind else None)
    return out


@torch.no_grad()
def probe(run: str, sizes: tuple[int, ...], n: int, seed: int = 0, gaps: bool = False, gap: int | None = None) -> dict:
    """For purchases of each size: the share of scratchpad lines whose copied numbers, marks and count are each all
    right, and the share of purchases whose whole scratchpad is. `gaps`: coupled position ids skip ids before each
    ticket as in training (a `GappedCoupling` run); `gap`: this many before each ticket, instead of the run's own. `by_band`: for each band of `BAND` lines, the share of its lines right in every kind of `READ`."""
    model, tok, cfg = load_run(run)
    model.eval()
    rng, fmt, by_size = random.Random(seed), get_format(cfg.format), {}
    positions = cfg.positions(tok, random.Random(f"gaps:{seed}") if gaps else None)
    if gap is not None:
        if positions is None: raise SystemExit(f"{run} was not trained with coupled positions: a ticket gap does not apply")
        positions = CoupledPositions.maker(tok, gap=gap)
    for tickets in sizes:
        lines_right, whole_right, bands = {kind: 0 for kind in KINDS}, 0, [[0, 0] for _ in range(0, tickets, BAND)]
        for _ in range(n):
            ids, _ = encode_example(random_example(rng, tickets, tickets), tok, fmt)
            coupled = torch.tensor([positions().feed(ids[:-1])]) if positions else None
            predicted = model(torch.tensor([ids[:-1]]), positions=coupled)[0].argmax(-1).tolist()
            wrong = {kind: [False] * tickets for kind in KINDS}
            for target, guess, where in zip(ids[1:], predicted, token_kinds(ids, tok)[1:]):
                if where and where[0] < tickets: wrong[where[1]][where[0]] |= target != guess
            for kind in KINDS: lines_right[kind] += tickets - sum(wrong[kind])
            whole_right += not any(any(w) for w in wrong.values())
            for line in range(tickets):
                bands[line // BAND][0] += not any(wrong[kind][line] for kind in READ); bands[line // BAND][1] += 1
        by_size[tickets] = {**{kind: right / (n * tickets) for kind, right in lines_right.items()}, "whole": whole_right / n,
                            "by_band": [right / lines for right, lines in bands]}
    return {"run": run, "format": cfg.format, "model": vars(cfg.model), "gaps": gaps, "gap": gap, "by_tickets": by_size}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="trained run folders (a marked scratchpad format)")
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 25, 30, 40, 60, 100],
                   help="tickets per purchase (default 10 20 25 30 40 60 100; training had at most 20)")
    p.add_argument("--n", type=int, default=20, help="purchases of each size (default 20)")
    p.add_argument("--gaps", action="store_true", help="skip position ids before each ticket as in training (coupled runs)")
    p.add_argument("--gap", type=int, help="skip this many position ids before each ticket (coupled runs; default: the "
                   "run's own gap)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    rows = []
    for run in args.runs:
        if not (Path(run) / "config.json").exists(): p.error(f"{run} is not a trained run folder")
        rows.append(probe(run, tuple(args.sizes), args.n, gaps=args.gaps, gap=args.gap))
        print(run, *(f"{size}: " + " ".join(f"{kind} {r[kind]:.0%}" for kind in KINDS) + f" whole {r['whole']:.0%}"
                     f" | lines right by {BAND}: " + " ".join(f"{band:.0%}" for band in r["by_band"])
                     for size, r in rows[-1]["by_tickets"].items()), sep="\n  ", flush=True)
        if args.out: save(args.out, {"environment": environment(), "n": args.n, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
