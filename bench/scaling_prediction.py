"""Chapter 10's prediction test: fit the scaling laws on a finished sweep, write down the loss and exact match they
predict for a bigger model than any in the sweep, then train that model and record what it reached.

    lottogpt sweep --results results/10/scaling-h100.json
    python bench/scaling_prediction.py --sweep-results results/10/scaling-h100.json --target 8 256 800 \\
        --out results/10/scaling-prediction-h100.json

The prediction is written to --out before training starts, so the file shows it was made first.
"""
import argparse
import json
import sys
import time
from pathlib import Path

from lottogpt.evaluate import environment, save_result as save

from lottogpt.scaling import SweepPoint, predict, run_point


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sweep-results", type=Path, required=True, help="the JSON that `lottogpt sweep --results` wrote")
    p.add_argument("--target", type=int, nargs=3, metavar=("LAYERS", "WIDTH", "STEPS"), default=(8, 256, 800),
                   help="the run to predict and then train (default 8 256 800)")
    p.add_argument("--runs", type=Path, default=Path("runs/sweep"), help="folder for the target's run (default runs/sweep)")
    p.add_argument("--workers", type=int, default=4, help="data-loading processes (default 4)")
    p.add_argument("--out", type=Path, required=True, help="where to write prediction and result")
    args = p.parse_args(argv)
    if not args.sweep_results.exists():
        p.error(f"{args.sweep_results} does not exist: run `lottogpt sweep --results {args.sweep_results}` first")
    sweep = json.loads(args.sweep_results.read_text())["points"]
    target = SweepPoint(*args.target)
    if any(r["name"] == target.name for r in sweep):
        p.error(f"{target.name} is in the sweep already: a prediction needs a run the fits have not seen")
    record = {"environment": environment(), "fitted_on": [r["name"] for r in sweep],
              "predicted_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "prediction": predict(sweep, target)}
    save(args.out, record)
    print(f"predicted for {target.name}: val loss {record['prediction']['val_loss']:.4g}, "
          f"exact {record['prediction']['exact']:.1%}; training it now")
    record["measured"] = run_point(target, args.runs, workers=args.workers)
    record["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    save(args.out, record)
    print(f"measured: val loss {record['measured']['val_loss']:.4g}, exact {record['measured']['exact']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
