"""Benchmark: 100 feed sources on 10 local hosts, each answering after 50 ms.

Prints the cold run time against the lower bound the politeness rules allow, and a warm
run in which every server answers 304 Not Modified. Everything stays on 127.0.0.1.

    python bench/fetch.py
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

import yaml

from publisher.config import load_config
from publisher.fetch import fetch_sources
from publisher.sources import source_kinds
from publisher.store import Store

HOSTS, SOURCES_PER_HOST, LATENCY = 10, 10, 0.05
CORES = os.cpu_count() or 1


def feed_body(name: str) -> bytes:
    items = "".join(
        f"<item><title>{name} story {n}</title><link>https://{name}.example/{n}</link>"
        f"<guid>{name}-{n}</guid><pubDate>Tue, 20 Feb 2024 09:{n:02d}:00 +0000</pubDate>"
        f"<description>Summary of story {n}.</description></item>"
        for n in range(20)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://{name}.example/</link><description>bench</description>"
        f"{items}</channel></rss>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.answer()
        self.wfile.flush()
        accepted = self.server.accepted.pop(self.client_address)
        ANSWER_DELAYS.append(time.perf_counter() - accepted - LATENCY)

    def answer(self) -> None:
        time.sleep(LATENCY)
        if self.path == "/robots.txt":  # like most sites: none
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = f'"{self.path}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        body = feed_body(self.path.strip("/").replace(".xml", ""))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        pass


class Server(ThreadingHTTPServer):
    """Notes when it accepted each connection, to measure its own delay in answering."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int]):
        super().__init__(address, Handler)
        self.accepted: dict[tuple[str, int], float] = {}

    def process_request(self, request, client_address):
        self.accepted[client_address] = time.perf_counter()
        super().process_request(request, client_address)


ANSWER_DELAYS: list[float] = []  # beyond LATENCY, from accepting to the last byte sent


def serve_hosts(ports: Connection) -> None:
    """In a separate process, as real servers are: they must not share our GIL."""
    servers = []
    for _ in range(HOSTS):
        server = Server(("127.0.0.1", 0))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ports.send([server.server_address[1] for server in servers])
    while ports.recv() == "cpu":  # until told to stop
        ports.send((time.process_time(), ANSWER_DELAYS[:]))
        ANSWER_DELAYS.clear()


def start_hosts() -> tuple[list[int], Connection, multiprocessing.Process]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve_hosts, args=(theirs,), daemon=True)
    process.start()
    return ours.recv(), ours, process


def lower_bound(per_host: int, host_delay: float, requests: int) -> float:
    """Hosts run in parallel; within a host, ``requests`` start at least host_delay apart
    and at most per_host run at once, each taking LATENCY."""
    starts = [0.0] * per_host  # when each of the host's slots is next free
    next_start = 0.0
    finish = 0.0
    for _ in range(requests):
        slot = min(range(per_host), key=lambda index: starts[index])
        start = max(starts[slot], next_start)
        next_start = start + host_delay
        starts[slot] = start + LATENCY
        finish = max(finish, starts[slot])
    return finish


def client_cpu() -> float:
    """This process's CPU time and that of the processes it forked to fetch (once ended)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def servers_figures(control: Connection) -> tuple[float, list[float]]:
    """The servers' CPU time so far, and their own delays in answering since last asked."""
    control.send("cpu")
    return control.recv()


def run(
    per_host: int,
    host_delay: float,
    ports: list[int],
    control: Connection,
    per_host_sources: int = 0,
) -> None:
    sources_per_host = per_host_sources or SOURCES_PER_HOST
    workers = HOSTS * per_host
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "feeds.yaml"
        sources = [
            {
                "id": f"h{h}-s{s}",
                "kind": "feed",
                "url": f"http://127.0.0.1:{port}/h{h}s{s}.xml",
            }
            for h, port in enumerate(ports)
            for s in range(sources_per_host)
        ]
        config_path.write_text(
            yaml.safe_dump(
                {
                    "organisation": {"name": "Bench"},
                    "settings": {
                        "per_host": per_host,
                        "host_delay": host_delay,
                        "workers": workers,
                        "retries": 0,
                        "timeout": 10,
                    },
                    "sources": sources,
                }
            )
        )
        kinds = source_kinds()
        config = load_config(config_path, kinds)
        store = Store(Path(folder) / "data")
        # A cold run also reads each host's robots.txt first (then kept for a day).
        bounds = {
            "cold": lower_bound(per_host, host_delay, sources_per_host + 1),
            "warm": lower_bound(per_host, host_delay, sources_per_host),
        }
        print(
            f"\n{len(sources)} sources on {HOSTS} hosts, {LATENCY * 1000:.0f} ms per answer, "
            f"per_host={per_host}, host_delay={host_delay}s, workers={workers}"
        )
        for label, bound in bounds.items():
            started, (served, _) = time.perf_counter(), servers_figures(control)
            cpu, own_cpu = client_cpu(), time.process_time()
            reports = fetch_sources(config, store, kinds)
            elapsed, cpu = time.perf_counter() - started, client_cpu() - cpu
            own_cpu = time.process_time() - own_cpu
            served_after, delays = servers_figures(control)
            served = served_after - served
            delays.sort()
            # A second lower bound, from this machine: each process's Python runs on one core
            # at a time (the GIL), and the cores are shared with the servers.
            cpu_floor = max(own_cpu, (cpu + served) / CORES)
            statuses = {
                status: sum(r.status == status for r in reports)
                for status in ("ok", "not-modified", "failed")
            }
            items = store.db.execute("SELECT count(*) FROM items").fetchone()[0]
            print(
                f"  {label}: {elapsed:.3f} s  (lower bound {bound:.3f} s, ratio "
                f"{elapsed / bound:.2f}); CPU {cpu:.2f} s ({cpu / len(sources) * 1000:.1f} ms a"
                f" feed); {statuses}; items stored: {items}\n"
                f"        of which this process {own_cpu:.2f} s, the processes it forked "
                f"{cpu - own_cpu:.2f} s; the servers' CPU {served:.2f} s, their own delay "
                f"beyond {LATENCY * 1000:.0f} ms an answer: median "
                f"{statistics.median(delays) * 1000:.1f} ms, 90th percentile "
                f"{delays[len(delays) * 9 // 10] * 1000:.1f} ms\n"
                f"        CPU-bound floor {cpu_floor:.3f} s (this process's CPU under its GIL, "
                f"or all CPU over {CORES} cores shared with the servers); ratio to the larger "
                f"bound {elapsed / max(bound, cpu_floor):.2f}"
            )
        peak, child = (
            resource.getrusage(who).ru_maxrss / 1024
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        print(
            f"  peak memory so far: this process {peak:.0f} MB, the largest it forked {child:.0f}"
            f" MB, together at most {peak + child:.0f} MB (aim for 1,000 feeds: 150 MB)"
        )
        store.close()


def main() -> None:
    print("bench/fetch.py: python bench/fetch.py")
    ports, control, process = start_hosts()
    run(per_host=1, host_delay=1.0, ports=ports, control=control)  # the defaults
    run(per_host=1, host_delay=0.1, ports=ports, control=control)
    run(per_host=1, host_delay=0.0, ports=ports, control=control)  # no spacing
    run(per_host=2, host_delay=0.0, ports=ports, control=control)
    run(per_host=2, host_delay=0.0, ports=ports, control=control, per_host_sources=100)
    control.send("stop")
    process.join(timeout=5)


if __name__ == "__main__":
    main()
