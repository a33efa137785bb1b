"""Fetching under fault: every failure named per source, the other sources unaffected."""

import itertools
import json
import os
import signal
import socketserver
import sqlite3
import subprocess
import threading
import time
import tracemalloc
from contextlib import contextmanager

import pytest
from werkzeug import Response

from conftest import fixture_bytes
from publisher.http import FetchError, HttpClient, HttpPolicy

FEED = fixture_bytes("feeds/news.rss")
RSS = "application/rss+xml"


@contextmanager
def raw_server(handle):
    """A TCP server on 127.0.0.1 whose replies ``handle(socket)`` writes by hand."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            handle(self.request)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()


def hang(sock):
    time.sleep(5)


def truncated(sock):
    sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        b"Content-Length: 5000\r\n\r\n" + FEED[:300]
    )


def distinct_feed(pause: dict):
    """A handler for a feed whose items are unique to the path it was asked for, answered
    after ``pause["seconds"]`` (slow only while a run is to be killed)."""

    def handler(request):
        time.sleep(pause["seconds"])
        body = FEED.replace(b"news.example", request.path.strip("/").encode())
        return Response(body, content_type=RSS)

    return handler


def sequence(*responses):
    """A handler answering with each response in turn, then the last one forever."""
    queue = list(responses)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


def feed(source_id, url):
    return {"id": source_id, "kind": "feed", "url": url}


def lines_by_source(output):
    return {line.split()[0]: line.split(None, 1)[1] for line in output.splitlines()[:-1]}


def test_each_fault_is_reported_and_the_good_source_still_lands(server, project):
    server.expect_request("/good.rss").respond_with_data(FEED, content_type=RSS)
    server.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": "/loop"})
    )
    server.expect_request("/busy").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "3600"})
    )
    server.expect_request("/invalid.xml").respond_with_data(
        fixture_bytes("feeds/malformed.xml"), content_type=RSS
    )
    server.expect_request("/page.html").respond_with_data(
        fixture_bytes("feeds/not-a-feed.html"), content_type=RSS
    )  # HTML served as a feed
    server.expect_request("/broken").respond_with_data("down", status=500)

    def slow(request):
        time.sleep(1.6)
        return Response(FEED, content_type=RSS)

    server.expect_request("/slow.rss").respond_with_handler(slow)
    with raw_server(hang) as hanging, raw_server(truncated) as cut_short:
        project.configure(
            [
                feed("good", server.url_for("/good.rss")),
                feed("loop", server.url_for("/loop")),
                feed("busy", server.url_for("/busy")),
                feed("invalid", server.url_for("/invalid.xml")),
                feed("html", server.url_for("/page.html")),
                feed("broken", server.url_for("/broken")),
                feed("slow", server.url_for("/slow.rss")),
                feed("hanging", hanging),
                feed("truncated", cut_short),
            ],
            settings={"retries": 1, "retry_backoff": 0, "workers": 9},
        )
        result = project.run("fetch", expect=1)
    lines = lines_by_source(result.output)
    assert lines["good"] == "3 new, 0 updated, 0 unchanged"
    assert lines["loop"] == "FAILED: more than 10 redirects (a redirect loop?)"
    assert lines["busy"] == (
        "FAILED: HTTP 429 Too Many Requests: asked to wait 3600s (more than 120s)"
    )
    assert lines["invalid"].startswith("FAILED: unreadable feed:")
    assert lines["html"].endswith("/page.html links to no RSS or Atom feed")
    assert lines["html"].startswith("FAILED: not a feed, and the page at http://127.0.0.1:")
    assert lines["broken"] == "FAILED: HTTP 500 Internal Server Error (2 attempts)"
    assert lines["slow"] == "FAILED: timed out after 1s"
    assert lines["hanging"] == "FAILED: timed out after 1s"
    assert lines["truncated"] == (
        "FAILED: connection closed before the whole body arrived (2 attempts)"
    )
    health = json.loads(project.run("sources", "--format", "json").output)
    assert [row["consecutive_failures"] for row in health] == [0, 1, 1, 1, 1, 1, 1, 1, 1]


def test_500_then_200_succeeds_on_retry(server, project):
    server.expect_request("/flaky.rss").respond_with_handler(
        sequence(Response("oops", status=500), Response(FEED, content_type=RSS))
    )
    project.configure(
        [feed("flaky", server.url_for("/flaky.rss"))], settings={"retries": 2, "retry_backoff": 0}
    )
    assert project.run("fetch").output.startswith("flaky  3 new")


def test_429_with_retry_after_is_honoured(server, project):
    times = []

    def handler(request):
        times.append(time.monotonic())
        if len(times) == 1:
            return Response("wait", status=429, headers={"Retry-After": "1"})
        return Response(FEED, content_type=RSS)

    server.expect_request("/limited.rss").respond_with_handler(handler)
    project.configure(
        [feed("limited", server.url_for("/limited.rss"))],
        settings={"retries": 2, "retry_backoff": 0},
    )
    assert project.run("fetch").output.startswith("limited  3 new")
    assert times[1] - times[0] >= 1.0


def test_etag_and_last_modified_round_trip(server, project):
    seen = []

    def handler(request):
        seen.append(dict(request.headers))
        if request.headers.get("If-Modified-Since") == "Tue, 20 Feb 2024 09:00:00 GMT":
            return Response(status=304)
        return Response(
            FEED, content_type=RSS, headers={"Last-Modified": "Tue, 20 Feb 2024 09:00:00 GMT"}
        )

    server.expect_request("/a.rss").respond_with_handler(handler)
    server.expect_request("/b.rss").respond_with_handler(
        lambda request: (
            Response(status=304)
            if request.headers.get("If-None-Match") == '"b1"'
            else Response(FEED, content_type=RSS, headers={"ETag": '"b1"'})
        )
    )
    project.configure([feed("a", server.url_for("/a.rss")), feed("b", server.url_for("/b.rss"))])
    project.run("fetch")
    assert project.run("fetch").output.splitlines()[:2] == ["a  not modified", "b  not modified"]
    assert "If-Modified-Since" not in seen[0]


def fifty_megabytes_until_close(sock):
    # No Content-Length: the body runs until the connection closes, so the client cannot
    # refuse it up front and must stop reading at its cap.
    sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n"
    )
    chunk = b"<!-- padding -->" * 4096  # 64 KiB, sent 800 times: 50 MiB
    try:
        for _ in range(800):
            sock.sendall(chunk)
    except OSError:
        pass  # the client hung up, as it should


def test_a_50_mb_body_is_abandoned_at_the_cap_without_buffering_it():
    client = HttpClient(HttpPolicy(timeout=5, max_bytes=1024 * 1024, host_delay=0, retries=0))
    with raw_server(fifty_megabytes_until_close) as url:
        tracemalloc.start()
        with pytest.raises(FetchError, match=r"response too large: over 1,048,576 bytes"):
            client.get(url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


def test_requests_to_one_host_are_spaced_and_one_at_a_time(server, project):
    starts, active, overlap = [], [0], []
    lock = threading.Lock()

    def handler(request):
        with lock:
            starts.append(time.monotonic())
            active[0] += 1
            overlap.append(active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return Response(FEED, content_type=RSS)

    for number in range(4):
        server.expect_request(f"/{number}.rss").respond_with_handler(handler)
    project.configure(
        [feed(f"s{n}", server.url_for(f"/{n}.rss")) for n in range(4)],
        settings={"per_host": 1, "host_delay": 0.2, "workers": 4},
    )
    project.run("fetch")
    assert max(overlap) == 1
    # 0.2 s apart at the client; arrivals jitter under load, so: never close together, and
    # on average most of the spacing (without it, one-at-a-time alone gives 0.05 s gaps).
    arrivals = sorted(starts)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.08, gaps
    assert (arrivals[-1] - arrivals[0]) / len(gaps) >= 0.15, gaps


def test_kill_9_during_fetch_loses_nothing(server, project, tmp_path):
    pause = {"seconds": 0.4}
    for number in range(12):
        server.expect_request(f"/{number}.rss").respond_with_handler(distinct_feed(pause))
    project.configure(
        [feed(f"s{n}", server.url_for(f"/{n}.rss")) for n in range(12)],
        settings={"workers": 2, "timeout": 5},
    )
    command = project.argv("fetch")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = project.data_dir / "publisher.db"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if database.exists() and _count(database, "items") >= 6:
                break
        except sqlite3.OperationalError:  # created, but its tables are not there yet
            pass
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    pause["seconds"] = 0

    stored_before = _count(database, "items")
    assert 0 < stored_before < 36
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    project.run("fetch")
    assert _count(database, "items") == 36
    items = project.items()
    assert len({(item["source_id"], item["key"]) for item in items}) == 36


def _count(database, table):
    with sqlite3.connect(database, timeout=5) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_gzip_bodies_are_decoded(server, project):
    import gzip

    seen = []

    def handler(request):
        seen.append(request.headers.get("Accept-Encoding", ""))
        return Response(gzip.compress(FEED), content_type=RSS, headers={"Content-Encoding": "gzip"})

    server.expect_request("/zipped.rss").respond_with_handler(handler)
    project.configure([feed("zipped", server.url_for("/zipped.rss"))])
    assert project.run("fetch").output.startswith("zipped  3 new")
    assert "gzip" in seen[0]


def test_kill_9_during_check_then_rerun_alerts_once(server, project):
    wttsc = "/government/publications/working-together-to-safeguard-children--2"
    content = {"body": fixture_bytes("govuk/wttsc-v1.json")}
    server.expect_request(f"/api/content{wttsc}").respond_with_handler(
        lambda request: Response(content["body"], content_type="application/json")
    )

    pause = {"seconds": 0}
    for number in range(10):
        server.expect_request(f"/{number}.rss").respond_with_handler(distinct_feed(pause))
    project.configure(
        [
            {"id": "wttsc", "kind": "govuk", "url": wttsc},
            *(feed(f"s{n}", server.url_for(f"/{n}.rss")) for n in range(10)),
        ],
        settings={"govuk_base_url": server.url_for("").rstrip("/"), "workers": 2, "timeout": 5},
    )
    project.run("check")  # the baseline
    content["body"] = fixture_bytes("govuk/wttsc-v2.json")
    database = project.data_dir / "publisher.db"
    baseline_requests = len(server.log)
    pause["seconds"] = 0.4
    process = subprocess.Popen(
        project.argv("check"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while len(server.log) < baseline_requests + 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None  # the kill lands mid-run: work done, work still to do
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    pause["seconds"] = 0
    assert baseline_requests + 3 <= len(server.log) < baseline_requests + 11
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    project.run("check")
    assert project.run("check").stdout == ""
    # Whether or not the killed run got as far as alerting: one change, one alert, all items.
    assert len(list((project.data_dir / "outbox").glob("*.eml"))) == 1
    assert _count(database, "changes") == 1
    assert _count(database, "items") == 31


def test_a_body_cut_short_is_never_trusted_and_nothing_is_lost_or_doubled(project):
    """A server that closes the connection in the middle of an entry's <guid> (no
    Content-Length, so it looks complete to HTTP), sending an ETag, and answering 304 to
    that ETag afterwards, as an honest server would."""
    cut = FEED.index(b"news-2024-sid") + 4  # inside the second entry's guid
    etag = b'"v1"'
    state = {"requests": []}

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            request = self.request.recv(65536)
            state["requests"].append(request)
            if b'If-None-Match: "v1"' in request:
                self.request.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n")
                return
            body = FEED[:cut] if len(state["requests"]) == 1 else FEED
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
                + etag
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )

    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    tcp.daemon_threads = True
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{tcp.server_address[1]}/news.rss"
        project.configure([feed("news", url)])
        first = project.run("fetch").output
        assert "truncated feed: the document ends early; kept 1 whole entry" in first
        health = project.run("sources").output
        assert "noted on the last run: parsed despite errors: truncated feed" in health
        stored = project.items()
        assert [row["key"] for row in stored] == [
            "https://news.example/2024/sharing-nudes-guidance"
        ]
        project.run("fetch")  # no validators were kept, so this reads the whole feed
        assert b"If-None-Match" not in state["requests"][1]
        keys = sorted(row["key"] for row in project.items())
        assert keys == [
            "https://news.example/2024/no-guid",
            "https://news.example/2024/sharing-nudes-guidance",
            "news-2024-sid",
        ]  # every entry, and no phantom keyed by the cut entry's link
        assert "noted on the last run" not in project.run("sources").output
        project.run("fetch")  # now whole: validators kept, the server says 304
        assert b'If-None-Match: "v1"' in state["requests"][2]
    finally:
        tcp.shutdown()
        tcp.server_close()


def trickle(sock):
    """A server that sends its body one byte every 0.2 s: the read timeout never fires."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n")
    try:
        for byte in FEED[:200]:
            sock.sendall(bytes([byte]))
            time.sleep(0.2)
    except OSError:
        pass  # the client hung up, as it should


def test_a_trickling_server_is_cut_off_by_the_whole_body_deadline(project):
    with raw_server(trickle) as slow:
        project.configure([feed("slow", slow)], settings={"timeout": 0.5, "retries": 0})
        result = project.run("fetch", expect=1)
    assert "FAILED: too slow: the body was still arriving after 1.5s" in result.output


def refused_robots(project, url_of_dead_host):
    project.configure([feed("news", url_of_dead_host)], settings={"robots": True, "retries": 0})
    return project.run("fetch", expect=1).output


def test_an_unreachable_host_is_reported_as_unreachable_not_disallowed(project):
    from smtp_server import free_port

    output = refused_robots(project, f"http://127.0.0.1:{free_port()}/feed.xml")
    assert "robots.txt of 127.0.0.1:" in output and "unreachable (could not connect" in output
    assert "disallows" not in output


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:{port}/internal",  # loopback under another name
        "http://10.0.0.1/internal",  # private: refused without connecting
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://[::1]:{port}/internal",
        "http://0.0.0.0:{port}/internal",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
    ],
)
def test_redirects_never_lead_to_internal_addresses(server, project, target):
    internal = server.url_for("/internal")
    port = internal.split(":")[2].split("/")[0]
    server.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": target.format(port=port)}
    )
    server.expect_request("/internal").respond_with_data("SECRET", content_type="text/plain")
    project.configure([feed("news", server.url_for("/feed.xml"))])
    output = project.run("fetch", expect=1).output
    assert "FAILED: refused to fetch" in output or "not a web address" in output
    assert not [request for request, _ in server.log if request.path == "/internal"]


def test_a_redirect_on_the_sources_own_host_is_followed(server, project):
    server.expect_request("/old.xml").respond_with_data(
        "", status=301, headers={"Location": "/new.xml"}
    )
    server.expect_request("/new.xml").respond_with_data(FEED, content_type=RSS)
    project.configure([feed("news", server.url_for("/old.xml"))])
    assert project.run("fetch").output.startswith("news  3 new")


def test_a_listing_cannot_send_article_reads_to_internal_addresses(server, project):
    server.expect_request("/news/").respond_with_data(
        '<main><article class="card"><h3><a href="http://127.0.0.2:9/secret/">Secret</a></h3>'
        "</article></main>",
        content_type="text/html",
    )
    project.configure(
        [
            {
                "id": "magazine",
                "kind": "listing",
                "url": server.url_for("/news/"),
                "item_selector": ".card",
                "fetch_articles": True,
            }
        ]
    )
    output = project.run("fetch").output
    assert "could not read http://127.0.0.2:9/secret/: refused to fetch" in output


def test_a_feed_discovered_on_an_internal_address_is_refused(server, project):
    server.expect_request("/").respond_with_data(
        '<html><head><link rel="alternate" type="application/rss+xml" '
        'href="http://10.1.2.3/feed.xml"></head><body>Home</body></html>',
        content_type="text/html",
    )
    project.configure([feed("home", server.url_for("/"))])
    assert "refused to fetch http://10.1.2.3/feed.xml" in project.run("fetch", expect=1).output


def test_robots_txt_with_one_request_per_host_does_not_wait_for_itself(server, project):
    """The defaults (robots on, one request at a time per host), a redirect included: the
    robots.txt request must not wait for the turn its own page holds."""
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    server.expect_request("/old.xml").respond_with_data(
        "", status=301, headers={"Location": "/feed.xml"}
    )
    server.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS)
    project.configure(
        [feed("news", server.url_for("/old.xml"))],
        settings={"robots": True, "per_host": 1, "host_delay": 0},
    )
    process = subprocess.run(project.argv("fetch"), capture_output=True, text=True, timeout=30)
    assert process.stdout.startswith("news  3 new")
