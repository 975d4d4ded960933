"""Write results/INDEX.md: every recorded result with what it measured, the command that wrote it, the machine and the
torch version, one table per folder. Run it after adding a result:

    python bench/results_index.py
"""
import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "results"


def row(path: Path) -> str:
    "One table row for a result file (a JSON object with an `environment`, as `save_result` writes it)."
    data = json.loads(path.read_text())
    if not isinstance(data, dict): data = {}
    hardware = data.get("hardware") or ""
    env = data.get("environment") or {"command": data.get("command"), "torch": data.get("torch"),
                                      "device": ", ".join(hardware) if isinstance(hardware, list) else hardware}
    what = data.get("run") or data.get("config") or ""
    cells = [f"[{path.name}]({path.relative_to(RESULTS).as_posix()})", f"`{Path(str(what)).name}`" if what else "",
             f"`{env.get('command') or ''}`", str(env.get("device") or ""), str(env.get("torch") or "")]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def index() -> str:
    "The whole index, as Markdown."
    lines = ["# Recorded results", "",
             "Written by `python bench/results_index.py`. Each file holds the full numbers; the chapter named by its",
             "folder reads it (`research/`: the case study and [LOG.md](LOG.md)). Commands are as recorded when the",
             "file was written (some name the flat `results/` folder of the time). Training logs (`.jsonl`) sit beside",
             "the result they belong to.", ""]
    for folder in sorted(p for p in RESULTS.iterdir() if p.is_dir()):
        lines += [f"## {folder.name}", "", "| file | run | command | machine | torch |", "|---|---|---|---|---|"]
        lines += [row(p) for p in sorted(folder.glob("*.json"))]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    (RESULTS / "INDEX.md").write_text(index())
    print(f"wrote {RESULTS / 'INDEX.md'}")
