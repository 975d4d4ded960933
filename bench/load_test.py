"""Chapter 09's load test: start `lottogpt serve` on 127.0.0.1 for a trained run, send a fixed number of `POST /lotto`
requests from a fixed number of concurrent clients, and report requests per second and latency percentiles, with
batching off (`--max-batch 1`) and on. Loopback only; the server is stopped at the end.

    python bench/load_test.py --run runs/small --requests 200 --concurrency 16 --out results/09/load-cpu.json
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lottogpt.evaluate import environment, save_result as save

from serve_client import free_port, post_json, wait_until_up  # beside this script


def percentile(values: list[float], q: float) -> float:
    "The q-th percentile (0..100) by nearest rank."
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def measure(run: str, requests: int, concurrency: int, max_batch: int, window_ms: float, money: int) -> dict:
    "One server, one setting: throughput and latencies of `requests` purchases sent by `concurrency` clients."
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "lottogpt.cli", "serve", "--run", run, "--port", str(port),
                               "--max-batch", str(max_batch), "--window-ms", str(window_ms)])
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/health", server)
        body = {"money": money, "winning": [1, 2, 3, 4, 5, 6], "bonus": 7}

        def one(_) -> tuple[float, int, str | None]:
            t = time.perf_counter()
            status, answer = post_json(base + "/lotto", body)
            return time.perf_counter() - t, status, answer.get("verdict")

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(concurrency)))  # warm-up: first calls pay for lazy set-up
            start = time.perf_counter()
            results = list(pool.map(one, range(requests)))
            elapsed = time.perf_counter() - start
        with urllib.request.urlopen(base + "/health") as r: health = json.loads(r.read())
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = [r[0] * 1000 for r in results]
    batches = health["batches"]["lotto"]
    return {"max_batch": max_batch, "window_ms": window_ms, "requests": requests, "concurrency": concurrency,
            "requests_per_s": requests / elapsed, "ok": sum(r[1] == 200 for r in results),
            "verdicts": dict(Counter(r[2] for r in results)), "latency_ms": {f"p{q}": percentile(latencies, q) for q in (50, 90, 99)},
            "mean_batch": batches["requests"] / max(1, batches["runs"]), "device": health["device"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="run folder of a trained console model, e.g. runs/small")
    p.add_argument("--requests", type=int, default=200, help="requests per setting (default 200)")
    p.add_argument("--concurrency", type=int, default=16, help="clients sending at once (default 16)")
    p.add_argument("--max-batch", type=int, nargs="+", default=[1, 64], help="settings to compare (default: 1 64)")
    p.add_argument("--window-ms", type=float, default=5.0, help="batching window (default 5)")
    p.add_argument("--money", type=int, default=8000, help="amount of every purchase (default 8000: 8 tickets)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    rows = []
    for max_batch in args.max_batch:
        row = measure(args.run, args.requests, args.concurrency, max_batch, args.window_ms, args.money)
        print(f"max_batch {max_batch:>3}: {row['requests_per_s']:7.1f} requests/s, p50 {row['latency_ms']['p50']:.0f} ms, "
              f"p99 {row['latency_ms']['p99']:.0f} ms, mean batch {row['mean_batch']:.1f}, {row['ok']}/{row['requests']} ok",
              flush=True)
        rows.append(row)
    if args.out: save(args.out, {"environment": environment(), "run": args.run, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
