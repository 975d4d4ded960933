"""The course as a person sees it: JupyterLab in headless Chromium, and the course website.

Starts JupyterLab from this environment on 127.0.0.1 with a token, over a copy of the notebooks (running cells in the
browser saves their outputs, and the repository keeps notebooks without outputs), drives it with Playwright through
Debian's Chromium, and fails on any JavaScript error in the page. Screenshots of each step go to runs/browser/.
The website test opens the site that `make site` built into runs/site.

    python -m pytest tests/test_browser.py      # needs `apt-get install chromium` (see the README)
"""
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from serve_client import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "runs" / "browser"
CHROMIUM = "/usr/bin/chromium"  # Debian's; a browser download at test time is not possible here
CELLS_DONE_S = 600  # the longest a notebook's cells may take in the browser (09a may train its model first)
WIDGET_SHOWN_S = 180  # widgets render after their cell ends, once the page has their models: minutes on a loaded machine


@contextmanager
def jupyterlab(root: Path, runs: Path):
    """A JupyterLab server on 127.0.0.1 serving `root`, its kernels keeping runs in `runs`; yields its base URL and
    token, and stops it and its kernels."""
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--ServerApp.open_browser=False", "--allow-root", f"--LabApp.workspaces_dir={root / '.workspaces'}"]
    log = open(SHOTS / "jupyterlab.log", "w")
    env = {**os.environ, "MPLBACKEND": "", "LOTTOGPT_RUNS": str(runs)}
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        try: wait_until_up(f"{url}/api/status?token={token}", server)
        except (RuntimeError, TimeoutError) as e: raise RuntimeError(f"JupyterLab did not start ({e}); see {SHOTS / 'jupyterlab.log'}")
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
        try: server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


@contextmanager
def chromium_page():
    "A headless Chromium page that records every JavaScript error; closed afterwards."
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium and chromium-driver (see the README)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"], timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.js_errors = []
            page.on("pageerror", lambda e: page.js_errors.append(f"page error: {e}"))
            page.on("console", lambda m: m.type == "error" and page.js_errors.append(f"console error: {m.text}"))
            yield page
        finally:
            browser.close()


RUN_ALL = """async (limit) => {
    const app = window.jupyterapp, panel = app.shell.currentWidget;
    await panel.sessionContext.ready;
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('cells still running')), limit));
    await Promise.race([app.commands.execute('notebook:run-all-cells'), timeout]);  // resolves when the last cell ran
    const cells = panel.content.model.cells, problems = [];
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        if (cell.executionCount === null) problems.push(`cell ${i} did not run`);
        for (const out of cell.outputs.toJSON())
            if (out.output_type === 'error') problems.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
    }
    return problems;
}"""


def run_notebook(page: Page, url: str, token: str, name: str) -> None:
    "Open `name` in JupyterLab, run all its cells as the Run menu does, and check that each ran without an error."
    page.goto(f"{url}/lab/tree/nbs/{name}?token={token}")
    choose = page.locator(".jp-Dialog", has_text="Select Kernel").get_by_role("button", name="Select")
    try: choose.click(timeout=5_000)  # JupyterLab asks when it cannot tell which kernel the notebook wants
    except PlaywrightTimeout: pass
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.sessionContext", timeout=120_000)
    problems = page.evaluate(RUN_ALL, CELLS_DONE_S * 1000)
    assert problems == [], problems


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "nbs", root / "nbs")
    shutil.copytree(ROOT / "results", root / "results")  # the chapters read recorded results from ../results
    # the runs of `make test`'s notebook run, so 09a finds the model it trained there (without it, 09a trains one)
    with jupyterlab(root, ROOT / "runs" / "site-src" / "runs") as (url, token):
        yield url, token, root


def test_chapter_00_runs_and_prints_the_reference_dialogue(lab):
    url, token, _ = lab
    with chromium_page() as page:
        run_notebook(page, url, token, "00_lotto.ipynb")
        expect(page.locator(".jp-OutputArea-output", has_text="구입금액을 입력해 주세요.").first).to_be_visible()
        expect(page.locator(".jp-OutputArea-output", has_text="총 수익률은").first).to_be_visible()
        page.screenshot(path=SHOTS / "00_lotto.png", full_page=False)
        assert page.js_errors == [], page.js_errors


SHOW_CELL = """async (marker) => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    const index = nb.widgets.findIndex(cell => cell.model.sharedModel.getSource().includes(marker));
    if (index < 0) return null;
    await nb.scrollToItem(index, 'center');  // a cell out of view may be left out of the page until it is scrolled to
    nb.widgets[index].node.dataset.testCell = String(index);
    return index;
}"""


def shown_cell(page: Page, marker: str):
    "The notebook's first code cell whose source holds `marker`, scrolled into view, as a locator."
    index = page.evaluate(SHOW_CELL, marker)
    assert index is not None, f"no cell holds {marker!r}"
    return page.locator(f'.jp-Cell[data-test-cell="{index}"]')


def test_lotto_widget_shows_the_model_beside_the_program(lab):
    url, token, _ = lab
    with chromium_page() as page:
        run_notebook(page, url, token, "09a_widgets.ipynb")
        # the first widget's machine writes what the real program prints; the second is a trained model
        for marker, shot in (("LottoWidget(ProgramMachine", "09a_lotto_widget_agrees.png"),
                             ("LottoWidget(machine", "09a_lotto_widget_trained_model.png")):
            cell = shown_cell(page, marker)
            widget = cell.locator(".jp-OutputArea-output").filter(has=page.get_by_role("button", name="Buy"))
            try: expect(widget).to_be_visible(timeout=WIDGET_SHOWN_S * 1000)
            except AssertionError:
                page.screenshot(path=(failed := SHOTS / f"failed_{shot}"))
                raise AssertionError(f"no widget under {marker!r} after {WIDGET_SHOWN_S} s; the cell shows: "
                                     f"{cell.inner_text()[-1500:]!r} (screenshot: {failed})")
            widget.get_by_role("button", name="Buy").click()
            table = widget.locator("table.lottogpt-compare")
            expect(table.locator("th", has_text="the model")).to_be_visible()
            expect(table.locator("th", has_text="the real program")).to_be_visible()
            expect(table.locator("td").first).to_contain_text("구입금액을 입력해 주세요.")  # the model's dialogue
            # beside the program's dialogue for the same tickets: the model kept the rules
            expect(table.locator("td").nth(1)).to_contain_text("구입금액을 입력해 주세요.")
            if marker.endswith("ProgramMachine"): expect(widget).to_contain_text("the real program agrees")
            else: expect(widget).to_contain_text(re.compile("the real program agrees|they differ: statistics"))
            page.screenshot(path=SHOTS / shot)
        assert page.js_errors == [], page.js_errors


def test_training_progress_bar_renders_as_a_widget(lab):
    url, token, root = lab
    import nbformat
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}, cells=[nbformat.v4.new_code_cell(
        "import tempfile\nfrom dataclasses import replace\nfrom pathlib import Path\n"
        "from lottogpt.config import load_config\nfrom lottogpt.train import train\n"
        "state = train(replace(load_config('tiny'), max_steps=30, eval_every=30), Path(tempfile.mkdtemp()) / 'tiny')")])
    nbformat.write(nb, root / "nbs" / "progress.ipynb")
    with chromium_page() as page:
        run_notebook(page, url, token, "progress.ipynb")
        # in this notebook's tab: JupyterLab keeps other notebooks open behind it, with their own progress bars
        outputs = page.locator(".jp-OutputArea-output").filter(visible=True)
        bar = outputs.locator(".widget-hprogress, progress").filter(visible=True).first
        expect(bar).to_be_visible(timeout=WIDGET_SHOWN_S * 1000)
        expect(outputs.filter(has_text="30/30").first).to_be_visible(timeout=WIDGET_SHOWN_S * 1000)
        page.screenshot(path=SHOTS / "progress_bar.png")
        assert page.js_errors == [], page.js_errors


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@contextmanager
def static_server(folder: Path):
    "`folder` served over HTTP on 127.0.0.1 (the site's search loads its index with fetch, which file:// refuses)."
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    Thread(target=server.serve_forever, daemon=True).start()
    try: yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_website_has_chapters_code_plots_and_search():
    site = ROOT / "runs" / "site"
    assert (site / "index.html").exists(), "no website: run `make site` first"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with static_server(site) as url, chromium_page() as page:
        page.goto(f"{url}/index.html")
        expect(page.locator("h1").first).to_contain_text("lottogpt")
        expect(page.locator("input[type=search], .md-search__input").first).to_be_attached()
        nav = page.locator(".md-nav--primary").first.text_content()
        assert nav.index("00") < nav.index("05") < nav.index("11"), nav  # the chapters, in order
        page.screenshot(path=SHOTS / "site_index.png")
        page.goto(f"{url}/00_lotto/")
        expect(page.locator("h1").first).to_contain_text("00")
        expect(page.locator("pre, .highlight").first).to_be_visible()
        page.goto(f"{url}/07_evaluate/")
        expect(page.locator("img").first).to_be_attached()  # a plot rendered as an image
        page.screenshot(path=SHOTS / "site_chapter.png", full_page=False)
        assert page.js_errors == [], page.js_errors
