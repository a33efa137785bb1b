"""Benchmark: `publisher serve` (waitress, 8 threads) on the demo's data, on 127.0.0.1.

For each page, 16 clients with keep-alive connections request it for a few seconds;
prints requests a second and the 50th and 99th percentile times (aim: 300 pages a second,
p99 under 100 ms). The subscribe POST is limited to 5 a minute per client by design, so
it is timed as one client's allowed posts, not as throughput.

    python bench/serve.py
"""

from __future__ import annotations

import http.client
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CLIENTS, SECONDS = 16, 4.0
PAGES = ["/bulletins/2024-02/dsls.html", "/mi/mi-1-24.html", "/subscribe"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(folder: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "publisher", "serve", "--port", str(port)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def hammer(port: int, path: str) -> tuple[int, list[float]]:
    timings: list[float] = []
    errors = []
    stop = time.perf_counter() + SECONDS

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
            timings.append(time.perf_counter() - started)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(errors), timings


def subscribe_posts(port: int) -> tuple[list[float], list[int]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/subscribe")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    timings, statuses = [], []
    for n in range(5):
        body = (
            f"csrf_token={token}&email=dsl{n}%40school.example&name=DSL&school=School"
            "&audiences=dsls&frequency=weekly"
        )
        started = time.perf_counter()
        connection.request(
            "POST",
            "/subscribe",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = connection.getresponse()
        response.read()
        timings.append(time.perf_counter() - started)
        statuses.append(response.status)
    return timings, statuses


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else 0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        subprocess.run(
            [sys.executable, "-m", "publisher", "demo", str(demo)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        server = start_server(demo, port)
        try:
            for path in PAGES:
                errors, timings = hammer(port, path)
                rate = len(timings) / SECONDS
                print(
                    f"GET {path}: {rate:,.0f} a second, p50 {percentile(timings, 0.5) * 1000:.1f}"
                    f" ms, p99 {percentile(timings, 0.99) * 1000:.1f} ms ({errors} not 200;"
                    f" aim 300 a second, p99 under 100 ms)"
                )
            posts, statuses = subscribe_posts(port)
            print(
                f"POST /subscribe (5 allowed a minute per client): median "
                f"{statistics.median(posts) * 1000:.1f} ms, slowest {max(posts) * 1000:.1f} ms,"
                f" statuses {statuses} (the confirmation email is written inside the request)"
            )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
