"""Chapter 08: where do a long purchase's statistics go wrong, in the scratchpad or in the adding up? For each purchase
of more than `--above` tickets among the first `--n` of the test set `--set` (`long` unless told), the trained run writes its scratchpad and
statistics (as `lottogpt eval` runs it, with the tools asked for); the ranks its own scratchpad lines imply are
compared with the real ones and with the counts its statistics give. Writes one JSON file.

    python bench/statistics_probe.py runs/ref-recipe_length_equal --gap 8 --lines --template --calculator \
        --out results/statistics-probe-recipe_length_equal-cpu.json
"""
import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from record import environment, save  # noqa: E402

from lottogpt.data import make_set  # noqa: E402
from lottogpt.evaluate import read_statistics  # noqa: E402
from lottogpt.lotto import Rank  # noqa: E402
from lottogpt.machine import Machine  # noqa: E402

LINE = re.compile(r"\n#[^\n=]*=(\d)(보?)")


def scratch_ranks(text: str) -> Counter:
    "The ranks the scratchpad lines of `text` imply: a line's count of 3 is a fifth prize, and so on; `5보` the second."
    ranks = Counter()
    for matches, bonus in LINE.findall(text):
        if rank := Rank.of(int(matches), bool(bonus)): ranks[rank] += 1
    return ranks


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="a trained run folder (a marked scratchpad format, tickets given)")
    p.add_argument("--set", default="long", choices=["natural", "stress", "long"], help="the test set (default long)")
    p.add_argument("--n", type=int, default=100, help="purchases of the set to look among (default 100)")
    p.add_argument("--above", type=int, default=80, help="only purchases of more tickets than this (default 80)")
    p.add_argument("--gap", type=int, help="at least this many position ids before each ticket (coupled runs)")
    p.add_argument("--lines", action="store_true", help="the machine gives the scratchpad one line per ticket")
    p.add_argument("--template", action="store_true", help="the machine writes the statistics' fixed text")
    p.add_argument("--calculator", action="store_true", help="the calculator writes the return rate")
    p.add_argument("--out", type=Path, required=True, help="write the results as JSON here")
    args = p.parse_args(argv)
    try: machine = Machine.load(args.run, calculator=args.calculator, min_ticket_gap=args.gap, line_count=args.lines,
                                template=args.template)
    except ValueError as e: p.error(str(e))
    if not machine.fmt.startswith("marked"): p.error(f"{args.run} does not write the marked scratchpad")
    examples = [e for e in make_set(args.set, args.n) if len(e.tickets) > args.above]
    rows = []
    for ex, text in zip(examples, machine.check(examples)):
        statistics = "당첨 통계" + text.rsplit("당첨 통계", 1)[-1] if "당첨 통계" in text else ""
        real, scratch, (written, _, _) = ex.ranks(), scratch_ranks(text), read_statistics(statistics, rules=machine.rules)
        rows.append({"tickets": len(ex.tickets), "real": {r.name: real.get(r, 0) for r in Rank},
                     "scratchpad": {r.name: scratch[r] for r in Rank},
                     "statistics": {r.name: written[r] for r in Rank} if written else None,
                     "lines": len(LINE.findall(text))})
    right = lambda row, kind: row[kind] == row["real"]
    summary = {"purchases": len(rows), "scratchpad_right": sum(right(r, "scratchpad") for r in rows),
               "statistics_right": sum(right(r, "statistics") for r in rows),
               "statistics_follow_scratchpad": sum(r["statistics"] == r["scratchpad"] for r in rows)}
    print(summary)
    save(args.out, {"run": args.run, "set": args.set, "gap": args.gap, "line_count": args.lines, "template": args.template,
                    "n": args.n, "above": args.above, "summary": summary, "rows": rows, "environment": environment()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
