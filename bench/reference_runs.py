"""Train and evaluate the reference runs that the chapters quote, and write what they measured into results/.

For each named config: train it into runs/ref-NAME (from scratch), evaluate it on the test sets, and write
results/eval-NAME-GPU.json (the report, the training summary, the command and the versions) and
results/train-NAME-GPU.jsonl (every logged training step).

    python bench/reference_runs.py base original --sets natural stress long --n 5000
    python bench/reference_runs.py recipe --calculator --n 1000 --n-long 300   # files named recipe-calculator
    python bench/reference_runs.py recipe --evaluate-only --sets long --n 300 --suffix long   # eval-recipe-long-GPU.json

`--evaluate-only` evaluates runs/ref-NAME as a previous call trained it, so that several evaluations of one run can go
on at once (each in its own process, each with its own `--suffix`).
"""
import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from lottogpt.checkpoint import load_run
from lottogpt.cli import _extensions
from lottogpt.config import load_config
from lottogpt.data import RUNS, TEST_SETS
from lottogpt.evaluate import environment, evaluate, gpu_tag, save_result as save, summary
from lottogpt.lotto import RULE_SETS
from lottogpt.machine import TOOLS, Machine
from lottogpt.model import param_counts
from lottogpt.train import train


def train_reference(name: str, cfg, run: Path) -> dict:
    "Train `cfg` into `run` from scratch; the training summary, also kept in RUN/reference.json for `--evaluate-only`."
    shutil.rmtree(run, ignore_errors=True)
    t = time.perf_counter()
    state = train(cfg, run)
    seconds = time.perf_counter() - t
    last = state["history"][-1]
    training = {"config": name, "steps": state["step"], "seconds": seconds, "tokens_per_s": last["tokens_per_s"],
                "data_wait": last.get("data_wait"), "params": param_counts(load_run(run)[0]),
                "best_exact_val": state["best_exact"], "environment": environment()}
    (run / "reference.json").write_text(json.dumps(training, indent=1) + "\n")
    print(f"{name}: {state['step']} steps in {seconds:.0f}s", flush=True)
    return training


def evaluate_reference(run: Path, sets: tuple[str, ...], n: int, n_long: int | None = None, **options) -> dict:
    """Evaluate the trained `run` on `sets` (`n_long` dialogues of `long`, which take several times longer to generate),
    with `evaluate`'s `options` (the chapter 08 tools `calculator`, `grammar`, `draw`; `free_running`; `machine`)."""
    t = time.perf_counter()
    short = tuple(s for s in sets if s != "long" or n_long is None)
    report = evaluate(run, short, n, **options)
    if "long" not in short and "long" in sets:
        report["sets"]["long"] = evaluate(run, ("long",), n_long, **options)["sets"]["long"]
        report["n_long"] = n_long
    report["training"] = json.loads((run / "reference.json").read_text())
    report["evaluation_seconds"] = time.perf_counter() - t
    report["environment"] = environment()
    print(summary(report), flush=True)
    return report


def research_machine(run: Path, tools: list[str], window: int, gap: int | None, sharpen: bool) -> Machine:
    "The run's machine with the named tools; `gap`: a coupled run with this many ids before each ticket; `sharpen`."
    model, tok, cfg = load_run(run)
    rules, positions = RULE_SETS[cfg.rules], cfg.positions(tok)
    if gap is not None:
        from lottogpt.counting import CoupledPositions
        if positions is None: raise SystemExit(f"{run} was not trained with position coupling: a ticket gap does not apply")
        positions = CoupledPositions.maker(tok, gap=gap)
    if sharpen:
        from lottogpt.long import longest_dialogue
        if not getattr(model.cfg, "log_scaled", False): raise SystemExit(f"{run} has no log-scaled heads to sharpen")
        model.cfg = replace(model.cfg, sharpen_after=longest_dialogue(tok, cfg))
    return Machine(model, tok, cfg.format, rules, [TOOLS[t](tok, rules, {"window": window}) for t in tools], positions)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="+", help="named configs or research configs (experiments/NAME.json)")
    p.add_argument("--sets", nargs="+", default=["natural", "stress", "long"], choices=list(TEST_SETS))
    p.add_argument("--n", type=int, default=5000, help="dialogues per test set (default 5000)")
    p.add_argument("--n-long", type=int, help="dialogues of the long set, if fewer (default: --n)")
    p.add_argument("--calculator", action="store_true", help="evaluate with chapter 08's calculator; files get -calculator")
    p.add_argument("--grammar", action="store_true", help="evaluate with chapter 08's ticket grammar; files get -grammar")
    p.add_argument("--draw", action="store_true", help="evaluate with chapter 08's ticket draw; files get -draw")
    p.add_argument("--checker-only", action="store_true", help="measure checker mode only; files get -checker")
    p.add_argument("--evaluate-only", action="store_true", help="evaluate runs/ref-NAME as trained before, do not train")
    p.add_argument("--gap", type=int, help="with --evaluate-only: evaluate a coupled run with at least this many position "
                   "ids before each ticket (its min_ticket_gap); files get -gapN")
    p.add_argument("--lines", action="store_true", help="with --evaluate-only: the machine gives the scratchpad one line "
                   "per ticket (chapter 06's scratch_lines); files get -lines")
    p.add_argument("--template", action="store_true", help="with --evaluate-only: the machine writes the statistics' "
                   "fixed text, the model only the counts (chapter 08); files get -template")
    p.add_argument("--sharpen", action="store_true", help="with --evaluate-only: log-scaled heads sharpen past the "
                   "training's longest dialogue (chapter 08); files get -sharpen")
    p.add_argument("--count", action="store_true", help="with --evaluate-only: the machine writes the statistics, counts "
                   "too, adding up the model's scratchpad lines (chapter 08); files get -count")
    p.add_argument("--window", type=int, default=0, metavar="N", help="with --evaluate-only --count: checker mode reads "
                   "a longer purchase N tickets at a time, each part as a purchase of its own (chapter 08); files get -windowN")
    p.add_argument("--suffix", help="added to the file names, e.g. long: eval-NAME-long-GPU.json")
    p.add_argument("--out", type=Path, default=Path("results"), help="folder for the results (default results/)")
    args = p.parse_args(argv)
    again = args.gap is not None or args.lines or args.template or args.sharpen or args.count
    if again and not args.evaluate_only:
        p.error("--gap, --lines, --template, --sharpen and --count measure a trained run again: add --evaluate-only")
    if args.window < 0: p.error(f"--window is a number of tickets, not {args.window}")
    if args.window and not args.count: p.error("--window adds up the windows' scratchpad lines: add --count")
    _extensions()
    args.out.mkdir(parents=True, exist_ok=True)
    tag = gpu_tag()
    for name in args.configs:
        run = RUNS / f"ref-{name}"
        if not args.evaluate_only: train_reference(name, load_config(name), run)
        elif not (run / "reference.json").exists(): p.error(f"{run} has no finished reference training: run without --evaluate-only")
        tools = {tool: getattr(args, tool) for tool in ("calculator", "grammar", "draw")}
        names = ([t for t, used in tools.items() if used] + ["lines"] * args.lines + ["template"] * args.template
                 + ["count"] * args.count + ["window"] * bool(args.window))
        machine = research_machine(run, names, args.window, args.gap, args.sharpen)
        report = evaluate_reference(run, tuple(args.sets), args.n, args.n_long, free_running=not args.checker_only,
                                    machine=machine)
        words = ([tool for tool, used in tools.items() if used] + ["checker"] * args.checker_only
                 + [f"gap{args.gap}"] * (args.gap is not None) + ["lines"] * args.lines + ["template"] * args.template
                 + ["sharpen"] * args.sharpen + ["count"] * args.count + [f"window{args.window}"] * bool(args.window)
                 + [args.suffix] * bool(args.suffix))
        stem = "-".join([name, *words, tag])
        save(args.out / f"eval-{stem}.json", report)
        if not args.evaluate_only: shutil.copy(run / "metrics.jsonl", args.out / f"train-{name}-{tag}.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
