"""`lottogpt serve` as a real process: concurrent requests, and bodies that lie about their size or never arrive."""
import http.client
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from serve_client import free_port, post_json, wait_until_up

DRAW = {"winning": [1, 2, 3, 4, 5, 6], "bonus": 7}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    "A server for a `tiny` run trained for a few steps; its port."
    run = tmp_path_factory.mktemp("runs") / "tiny"
    subprocess.run([sys.executable, "-m", "lottogpt.cli", "train", "--config", "tiny", "--steps", "10", "--out", str(run),
                    "--quiet"], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "lottogpt.cli", "serve", "--run", str(run), "--port", str(port),
                                "--window-ms", "20"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_concurrent_requests_each_get_their_answer(server):
    bodies = [{"money": 1000 * (1 + i % 5), **DRAW} for i in range(12)]
    answers = [None] * len(bodies)
    def ask(i): answers[i] = post_json(f"http://127.0.0.1:{server}/lotto", bodies[i])
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(bodies))]
    for t in threads: t.start()
    for t in threads: t.join(timeout=120)
    for (status, answer), body in zip(answers, bodies):
        assert status == 200 and answer["dialogue"].startswith(f"구입금액을 입력해 주세요.\n{body['money']}")
    assert post_json(f"http://127.0.0.1:{server}/lotto", {"money": 0, **DRAW})[0] == 422


def raw_request(port: int, head: bytes, chunks: list[bytes], pause: float = 0.0) -> tuple[int, bytes]:
    "Send `head`, then `chunks` (with `pause` seconds before each); the status and body of the answer."
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        for chunk in chunks:
            time.sleep(pause)
            try: s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError): break  # the server already answered and closed
        answer = b""
        while True:
            try: part = s.recv(65536)
            except ConnectionResetError: break
            if not part: break
            answer += part
            if b"\r\n\r\n" in answer and b'"detail"' in answer: break
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


def test_a_chunked_body_is_counted_as_it_arrives(server):
    head = (f"POST /lotto HTTP/1.1\r\nHost: 127.0.0.1:{server}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"  # 16 KB a chunk, no length announced
    status, body = raw_request(server, head, [b"1\r\n{\r\n"] + [chunk] * 640 + [b"0\r\n\r\n"])  # 10 MB, were it all read
    assert status == 413 and "바이트 이하" in body.decode()


def test_a_body_that_never_comes_is_let_go(server):
    head = (f"POST /lotto HTTP/1.1\r\nHost: 127.0.0.1:{server}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n{").encode()
    started = time.monotonic()
    status, _ = raw_request(server, head, [])
    assert status == 408 and time.monotonic() - started < 20


def test_a_5000_digit_number_gets_the_programs_message(server):
    body = ('{"money": ' + "9" * 5000 + ', "winning": [1, 2, 3, 4, 5, 6], "bonus": 7}').encode()
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.request("POST", "/lotto", body, {"Content-Type": "application/json"})
    answer = connection.getresponse()
    assert answer.status == 422 and "20,000원 이하" in answer.read().decode()


def test_another_host_name_is_refused(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.request("GET", "/health", headers={"Host": "attacker.example"})
    assert connection.getresponse().status == 400
