"""A small HTTP client for the served model, for the load test and the tests: a free port, waiting for a server,
and a JSON POST."""
import json
import socket
import time
import urllib.error
import urllib.request


def free_port() -> int:
    "A TCP port on 127.0.0.1 that nothing listens on now."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process, timeout: float = 60.0) -> None:
    "Wait until `url` answers 200, or raise if `process` exits or `timeout` passes."
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None: raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200: return
        except OSError: time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def post_json(url: str, body: dict, timeout: float = 120.0) -> tuple[int, dict]:
    "POST `body` as JSON; the status and the JSON answer (also for error statuses)."
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r: return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read())
