"""Build the course website into runs/site: run every notebook with `nbdev-test` (cells flagged `slow` or `cuda`
skipped: this is the notebook test of `make test`), keep the outputs in copies under runs/site-src, and render those
with MkDocs (Material theme, mkdocs-jupyter), offline. The repository's notebooks stay without outputs.

    python web/build.py            # then open runs/site/index.html, or: python -m http.server -d runs/site
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "runs" / "site-src"
BIN = Path(sys.executable).parent  # nbdev-test and mkdocs, installed beside this Python by `make setup`


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=2, help="notebooks executed at once (default 2)")
    p.add_argument("--do-print", action="store_true", help="print each notebook's start and end, as nbdev-test does")
    args = p.parse_args(argv)
    shutil.rmtree(SOURCE, ignore_errors=True)
    shutil.copytree(ROOT / "nbs", SOURCE / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # the tests' own runs folder: what the site shows must not depend on the runs trained in this checkout
    hermetic = {**os.environ, "LOTTOGPT_RUNS": str(SOURCE / "runs")}
    if subprocess.call([BIN / "nbdev-test", SOURCE / "nbs", "--save", "--n-workers", str(args.workers)]
                       + ["--do-print"] * args.do_print, cwd=ROOT, env=hermetic):
        print("a notebook failed: the site is not built (`make test` shows why)", file=sys.stderr)
        return 1
    for notebook in (SOURCE / "nbs").glob("*.ipynb"):  # execnb's timings are numbers where nbformat wants strings
        nb = json.loads(notebook.read_text())
        for cell in nb["cells"]: cell["metadata"].pop("execution", None)
        notebook.write_text(json.dumps(nb, ensure_ascii=False))
    quiet = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # a notice about the theme's future, printed on every build
    return subprocess.call([BIN / "mkdocs", "build", "--strict", "-q", "-f", ROOT / "mkdocs.yml"], cwd=ROOT, env=quiet)


if __name__ == "__main__":
    sys.exit(main())
