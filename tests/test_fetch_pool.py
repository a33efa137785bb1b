"""Big fetches shared by host across forked processes (publisher.fetch_pool)."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from test_faults import distinct_feed
from werkzeug import Response

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")
SCRIPT = Path(__file__).parent / "fetch_in_processes.py"


def fetch_in_processes(scenario: str, processes: int, threads: int = 8) -> dict:
    answer = subprocess.run(
        [sys.executable, str(SCRIPT), scenario, str(processes), str(threads)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    *before, outcomes = answer.stdout.splitlines()
    # Output still buffered when the process forked is written once, not again by the child.
    assert before == ["fetching"]
    return json.loads(outcomes)


def processes_by_host(outcomes: list[dict]) -> dict[str, set[str]]:
    by_host = defaultdict(set)
    for outcome in outcomes:
        by_host[outcome["source"].split("-")[0]].add(outcome["pid"])
    return by_host


def test_a_big_run_is_shared_by_host_between_this_process_and_a_forked_one():
    run = fetch_in_processes("plain", processes=2)
    outcomes = run["outcomes"]
    assert sorted(outcome["source"] for outcome in outcomes) == sorted(
        f"{host}.example-{n}" for host in "abcd" for n in range(10)
    )
    by_host = processes_by_host(outcomes)
    assert all(len(pids) == 1 for pids in by_host.values()), by_host  # politeness per host
    pids = set().union(*by_host.values())
    assert len(pids) == 2 and run["me"] in pids
    # What the forked process learnt comes back: validators per source, robots.txt per host.
    assert all(outcome["learnt"] == [f'"{outcome["source"]}"'] for outcome in outcomes)
    assert run["robots"] == [f"{host}.example" for host in "abcd"]
    assert not any(outcome["error"] for outcome in outcomes)
    assert all(outcome["requests"] for outcome in outcomes)


@pytest.mark.parametrize("scenario", ["unpicklable", "unloadable", "quits"])
def test_a_result_that_cannot_cross_between_processes_fails_that_source_by_name(scenario):
    run = fetch_in_processes(scenario, processes=2)
    outcomes = {outcome["source"]: outcome for outcome in run["outcomes"]}
    assert len(outcomes) == len(run["outcomes"]) == 40
    assert outcomes["d.example-0"]["pid"] != run["me"]  # d.example was a forked process's
    stuck = outcomes.pop("d.example-3")
    assert stuck["error"].startswith(
        "unreadable data from the source (cannot be passed between processes): "
    )
    assert not any(outcome["error"] for outcome in outcomes.values())


@pytest.mark.parametrize(
    ("scenario", "processes"), [("plain", 1), ("threaded", 2)], ids=["asked-for-one", "threaded"]
)
def test_one_process_when_asked_for_one_or_when_other_threads_run(scenario, processes):
    # Forking while another thread runs could copy a lock that thread holds, held forever.
    run = fetch_in_processes(scenario, processes)
    assert {outcome["pid"] for outcome in run["outcomes"]} == {run["me"]}
    assert len(run["outcomes"]) == 40 and not any(o["error"] for o in run["outcomes"])


@pytest.mark.parametrize(
    ("scenario", "how"), [("crash", "exit code 3"), ("killed", "killed by signal 9")]
)
def test_a_forked_process_that_dies_fails_its_unfinished_sources_by_name(scenario, how):
    run = fetch_in_processes(scenario, processes=2)
    outcomes = {outcome["source"]: outcome for outcome in run["outcomes"]}
    assert len(outcomes) == len(run["outcomes"]) == 40  # each source reported once
    stopped = f"the process fetching it stopped unexpectedly ({how})"
    for source, outcome in outcomes.items():
        if source.startswith("d.example"):
            assert outcome["error"] == stopped
        elif outcome["pid"] != run["me"]:  # d.example's companion: done or stopped
            assert outcome["error"] in (None, stopped)
        else:
            assert outcome["error"] is None
    assert sum(outcome["pid"] == run["me"] for outcome in outcomes.values()) == 20


def test_sources_are_shared_by_the_host_they_are_fetched_from():
    run = fetch_in_processes("gov.uk", processes=2)
    by_host = processes_by_host(run["outcomes"])
    # GOV.UK paths and addresses, in any case, are one host: one process's politeness.
    assert len(by_host["www.gov.uk"]) == 1
    assert all(len(pids) == 1 for pids in by_host.values()), by_host
    assert len(set().union(*by_host.values())) == 2


def threads_by_process(outcomes: list[dict]) -> dict[str, set[str]]:
    threads = defaultdict(set)
    for outcome in outcomes:
        threads[outcome["pid"]].add(outcome["thread"])
    return threads


@pytest.mark.parametrize(("threads", "processes"), [(1, 2), (3, 4), (5, 2)])
def test_workers_is_the_number_of_threads_in_all_processes_together(threads, processes):
    run = fetch_in_processes("plain", processes, threads)
    used = threads_by_process(run["outcomes"])
    assert sum(map(len, used.values())) <= threads
    assert len(used) == min(threads, 2)  # 40 sources are worth two processes at most


def test_threads_go_where_politeness_lets_them_work():
    run = fetch_in_processes("skewed", processes=2, threads=8)
    used = threads_by_process(run["outcomes"])
    big = {outcome["pid"] for outcome in run["outcomes"] if outcome["source"].startswith("big")}
    # big.example takes one request at a time: one thread; the 40 other hosts get the rest.
    assert {pid: len(threads) for pid, threads in used.items()} == {
        pid: 1 if pid in big else 7 for pid in used
    }


def test_a_refused_fork_fetches_everything_here():
    run = fetch_in_processes("no-fork", processes=2)
    assert {outcome["pid"] for outcome in run["outcomes"]} == {run["me"]}
    assert len(run["outcomes"]) == 40 and not any(o["error"] for o in run["outcomes"])


def test_a_process_a_plugin_forks_does_not_hold_up_the_run():
    started = time.monotonic()
    run = fetch_in_processes("grandchild", processes=2)
    assert time.monotonic() - started < 3  # the plugin's own process lives 5 s
    assert len(run["outcomes"]) == 40 and not any(o["error"] for o in run["outcomes"])


@pytest.fixture
def two_hosts(project):
    """Two local servers with 20 feeds each (answered after ``pause["seconds"]``), configured
    as 40 sources to fetch in up to two processes; yields the servers and the pause."""
    servers = [HTTPServer(host="127.0.0.1", threaded=True) for _ in range(2)]
    pause = {"seconds": 0.15}
    sources = []
    for host, server in enumerate(servers):
        server.start()
        server.expect_request("/robots.txt").respond_with_response(Response("", status=404))
        for n in range(20):
            path = f"/{n}.rss"
            server.expect_request(path).respond_with_handler(distinct_feed(pause))
            sources.append({"id": f"h{host}-{n}", "kind": "feed", "url": server.url_for(path)})
    project.configure(sources, settings={"processes": 2, "robots": True, "per_host": 2})
    yield servers, pause
    for server in servers:
        server.stop()


def children_of(pid: int) -> set[str]:
    with contextlib.suppress(OSError):  # it ended
        return set(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    return set()


def until(condition, seconds: float):
    """``condition()`` as soon as it is truthy, or as it is after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return value


def forked_by(pid: int) -> set[str]:
    """The processes ``pid`` forks, once there are some (10 s at most)."""
    forked = until(lambda: children_of(pid), 10)
    assert forked, "no process was forked"
    return forked


def all_ended(pids: set[str], seconds: float) -> bool:
    return until(lambda: not any(running(pid) for pid in pids), seconds)


def test_publisher_fetch_forks_for_a_big_run_and_stores_everything_once(project, two_hosts):
    servers, pause = two_hosts
    process = subprocess.Popen(
        project.argv("fetch"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    forked = set()
    while process.poll() is None:
        forked |= children_of(process.pid)
        time.sleep(0.02)
    output, errors = process.communicate()
    pause["seconds"] = 0
    assert process.returncode == 0, errors
    assert forked, "no process was forked"
    lines = output.splitlines()
    assert len(lines) == 41 and len(set(lines)) == 41
    assert lines[-1] == "Fetched 40 sources: 120 new, 0 updated, 0 unchanged, 0 failed."
    items = project.items()
    assert len({(item["source_id"], item["key"]) for item in items}) == len(items) == 120
    with sqlite3.connect(project.data_dir / "publisher.db") as db:
        hosts = {row[0] for row in db.execute("SELECT host FROM robots")}
    assert hosts == {server.url_for("/").rstrip("/") for server in servers}
    # Validators learnt in either process were saved: a second run is all 304s.
    again = project.run("fetch").output
    assert again.count("not modified") == 40


def test_ctrl_c_stops_every_process_quietly_and_keeps_what_was_stored(project, two_hosts):
    servers, pause = two_hosts
    process = subprocess.Popen(
        project.argv("fetch"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    forked = forked_by(process.pid)
    time.sleep(0.3)  # some sources stored, most not
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
    output, errors = process.communicate(timeout=20)
    assert process.returncode != 0
    assert "Traceback" not in errors, errors
    assert not any(running(child) for child in forked)
    pause["seconds"] = 0
    with sqlite3.connect(project.data_dir / "publisher.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = db.execute("SELECT count(*) FROM items").fetchone()[0]
    assert stored < 120
    project.run("fetch")
    items = project.items()
    assert len({(item["source_id"], item["key"]) for item in items}) == len(items) == 120


def test_forked_processes_end_with_a_killed_parent(project, two_hosts):
    servers, pause = two_hosts
    pause["seconds"] = 1  # every fetch still under way when the parent is killed
    process = subprocess.Popen(project.argv("fetch"), stderr=subprocess.DEVNULL)
    forked = forked_by(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert all_ended(forked, 0.8)  # well before their fetches could end


def test_a_forked_process_stuck_in_c_ends_with_a_killed_parent():
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "stuck", "2"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "fetching\n"
    forked = forked_by(process.pid)
    time.sleep(0.3)  # d.example-3 holds the interpreter lock in sleep(30) by now
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert all_ended(forked, 1)


def running(pid: str) -> bool:
    """Whether a process still runs (a zombie, ended but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")
