"""The package's shape: no import cycles, serving without the training loop, configs as data that every result names."""
import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lottogpt"


def imports_of(path: Path) -> set[str]:
    "The package's own modules that `path` imports, anywhere in it (inside functions too)."
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            name = node.module if node.level == 0 else f"lottogpt.{node.module}"
            if node.level and not node.module: name = "lottogpt"
            found.add(name)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {n for n in found if n.startswith("lottogpt.")}


def graph() -> dict[str, set[str]]:
    return {f"lottogpt.{p.stem}": imports_of(p) for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "_modidx")}


def test_no_import_cycles():
    g, state, cycles = graph(), {}, []
    def visit(node, path):
        state[node] = "open"
        for nxt in g.get(node, ()):
            if state.get(nxt) == "open": cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else path + [nxt])
            elif nxt not in state: visit(nxt, path + [nxt])
        state[node] = "done"
    for node in g:
        if node not in state: visit(node, [node])
    assert not cycles, cycles


def reachable(start: str) -> set[str]:
    g, seen, todo = graph(), set(), [start]
    while todo:
        for nxt in g.get(todo.pop(), ()):
            if nxt not in seen: seen.add(nxt); todo.append(nxt)
    return seen


def test_serving_does_not_import_the_training_loop():
    for module in ("lottogpt.machine", "lottogpt.server", "lottogpt.evaluate", "lottogpt.widgets"):
        assert "lottogpt.train" not in reachable(module), module


def test_loading_every_named_config_for_serving_leaves_the_training_loop_out():
    code = ("import sys\nfrom lottogpt.cli import _extensions\n_extensions()\nimport lottogpt.server, lottogpt.evaluate\n"
            "from lottogpt.config import CONFIGS, load_config\nfor name in CONFIGS: load_config(name)\n"
            "print('lottogpt.train' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_configs_are_the_same_whatever_is_imported():
    code = ("import json, sys, importlib\n"
            "for m in sys.argv[1:]: importlib.import_module(m)\n"
            "from lottogpt.config import CONFIGS\nprint(json.dumps(CONFIGS, sort_keys=True))")
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    after = subprocess.run([sys.executable, "-c", code, "lottogpt.long", "lottogpt.finetune", "lottogpt.scaling"],
                           capture_output=True, text=True, check=True).stdout
    assert alone == after and len(json.loads(alone)) <= 10


def test_every_config_a_result_names_loads():
    import lottogpt.long  # noqa: F401 (the research configs' formats and callbacks)
    from lottogpt.config import CONFIGS, load_config
    named = set()
    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "config" and isinstance(v, str): named.add(v)
                walk(v)
        elif isinstance(o, list):
            for v in o: walk(v)
    for path in (ROOT / "results").rglob("*.json"): walk(json.loads(path.read_text()))
    assert len(named) > 50
    for name in sorted(named):
        path = ROOT / name if name.endswith(".json") else ROOT / "experiments" / f"{name}.json"  # a file, or its name
        cfg = load_config(name) if name in CONFIGS else load_config(str(path))
        assert cfg.max_steps > 0, name
