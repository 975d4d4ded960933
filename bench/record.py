"""What every benchmark result records beside its figures, and how it is written."""
import json
import os
import platform
import sys
from pathlib import Path

import torch


def environment() -> dict:
    "The machine, the versions and the command line of this run."
    return {"device": torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or "cpu",
            "cpus": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "command": "python " + " ".join(sys.argv)}


def gpu_tag() -> str:
    "The short name result files carry for this machine: h100, h200, ..., or cpu."
    if not torch.cuda.is_available(): return "cpu"
    name = torch.cuda.get_device_name()
    return next((t.lower() for t in ("H100", "H200", "A100", "L4", "T4") if t in name), "gpu")


def save(path: Path, data: dict) -> None:
    "Write `data` as JSON to `path`, making its folder."
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
