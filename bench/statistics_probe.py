"""Chapter 08: where do a long purchase's statistics go wrong, in the scratchpad or in the adding up? For each purchase
of more than `--above` tickets among the first `--n` of the test set `--set` (`long` unless told), the trained run
writes its scratchpad and statistics (as `lottogpt eval` runs it, with the tools asked for); the ranks its own
scratchpad lines imply are compared with the real ones and with the counts its statistics give. Each scratchpad line is
compared with the real one too: a wrong line has a number copied wrong (`copy`), else a mark wrong (`mark`), else its
count (`count`); and each winning number and bonus in the tickets is a lookup, right when every mark of it is, kept
with how many tickets hold it. Writes one JSON file.

    python bench/statistics_probe.py runs/ref-recipe_length_equal --gap 8 --lines --template --calculator \
        --out results/statistics-probe-recipe_length_equal-cpu.json
"""
import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from lottogpt.counting import SCRATCH_LINE, number_mark, scratch_code, scratch_ranks
from lottogpt.data import Example, make_set
from lottogpt.evaluate import environment, read_statistics, save_result as save
from lottogpt.lotto import Rank
from reference_runs import research_machine  # the sibling script: a run's machine with research tools

MARKED = re.compile(r"(\d+)([.:보])")


def line_errors(ex: Example, text: str) -> tuple[Counter, list[tuple[int, bool]]]:
    """The kinds of the wrong scratchpad lines of `text` (`right` for the others), and for each winning number and bonus
    in the tickets, how many tickets hold it and whether all its marks are right."""
    lines, kinds, marked_right = re.findall(r"\n#([^\n]*)", text), Counter(), Counter()
    for ticket, line in zip(ex.tickets, lines):
        body, _, after = line.partition("=")
        count = after.split(" ")[0]  # the tally scratchpad writes its running counts after it
        written, real = MARKED.findall(body), [(str(n), number_mark(n, ex.draw)) for n in ticket]
        for n, mark in written: marked_right[int(n), mark == number_mark(int(n), ex.draw)] += 1
        kinds["right" if written == real and count == scratch_code(ticket, ex.draw) else
              "copy" if [n for n, _ in written] != [n for n, _ in real] else "mark" if written != real else "count"] += 1
    kinds["missing"] = max(0, len(ex.tickets) - len(lines))
    holders = Counter(n for t in ex.tickets for n in t)
    lookups = [(holders[n], marked_right[n, False] == 0 and marked_right[n, True] == holders[n])
               for n in (*ex.draw.numbers.numbers, ex.draw.bonus) if holders[n]]
    return kinds, lookups


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="a trained run folder (a marked or tally scratchpad format, tickets given)")
    p.add_argument("--set", default="long", choices=["natural", "stress", "long"], help="the test set (default long)")
    p.add_argument("--n", type=int, default=100, help="purchases of the set to look among (default 100)")
    p.add_argument("--above", type=int, default=80, help="only purchases of more tickets than this (default 80)")
    p.add_argument("--gap", type=int, help="this many position ids before each ticket (coupled runs)")
    p.add_argument("--lines", action="store_true", help="the machine gives the scratchpad one line per ticket")
    p.add_argument("--template", action="store_true", help="the machine writes the statistics' fixed text")
    p.add_argument("--calculator", action="store_true", help="the calculator writes the return rate")
    p.add_argument("--sharpen", action="store_true", help="log-scaled heads sharpen past the training's longest dialogue")
    p.add_argument("--out", type=Path, required=True, help="write the results as JSON here")
    args = p.parse_args(argv)
    tools = [name for name, asked in (("lines", args.lines), ("template", args.template), ("calculator", args.calculator))
             if asked]
    try: machine = research_machine(Path(args.run), tools, 0, args.gap, args.sharpen)
    except ValueError as e: p.error(str(e))
    if not machine.fmt.name.startswith(("marked", "tally")): p.error(f"{args.run} does not write a marked scratchpad")
    examples = [e for e in make_set(args.set, args.n) if len(e.tickets) > args.above]
    rows = []
    for ex, text in zip(examples, machine.check(examples)):
        statistics = "당첨 통계" + text.rsplit("당첨 통계", 1)[-1] if "당첨 통계" in text else ""
        real, scratch, (written, _, _) = ex.ranks(), scratch_ranks(text), read_statistics(statistics, rules=machine.rules)
        kinds, lookups = line_errors(ex, text)
        rows.append({"tickets": len(ex.tickets), "real": {r.name: real.get(r, 0) for r in Rank},
                     "scratchpad": {r.name: scratch[r] for r in Rank},
                     "statistics": {r.name: written[r] for r in Rank} if written else None,
                     "lines": len(SCRATCH_LINE.findall(text)), "line_kinds": dict(kinds), "lookups": lookups})
    right = lambda row, kind: row[kind] == row["real"]
    summary = {"purchases": len(rows), "scratchpad_right": sum(right(r, "scratchpad") for r in rows),
               "statistics_right": sum(right(r, "statistics") for r in rows),
               "statistics_follow_scratchpad": sum(r["statistics"] == r["scratchpad"] for r in rows),
               "line_kinds": dict(sum((Counter(r["line_kinds"]) for r in rows), Counter())),
               "lookups": sum(len(r["lookups"]) for r in rows),
               "lookups_right": sum(right for r in rows for _, right in r["lookups"])}
    print(summary)
    save(args.out, {"run": args.run, "set": args.set, "gap": args.gap, "line_count": args.lines, "template": args.template,
                    "sharpen_after": getattr(machine.model.cfg, "sharpen_after", 0),
                    "n": args.n, "above": args.above, "summary": summary, "rows": rows, "environment": environment()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
