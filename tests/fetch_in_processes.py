"""Runs publisher.fetch_pool.run_jobs in a process of its own and prints each outcome as
JSON: the test process runs server threads, and a process with threads never forks.

    python tests/fetch_in_processes.py SCENARIO PROCESSES

Sources live on hosts a.example ... d.example (10 each); their kind fetches nothing but
says which process ran it. Scenarios: ``plain``; ``crash`` (a forked process exits while
fetching d.example); ``threaded`` (another thread runs, as in the web app); ``unpicklable``
and ``unloadable`` (d.example-3's date has a time zone that cannot be pickled, or cannot be
unpickled).
"""

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, tzinfo

from publisher.config import Settings, SourceConfig
from publisher.fetch_pool import Job, run_jobs
from publisher.http import HttpClient
from publisher.models import Item, SourceResult, Validators
from publisher.robots import RobotsCache, RobotsFile
from publisher.sources import FetchContext, SourceKind

HOSTS = ("a.example", "b.example", "c.example", "d.example")


class Odd(tzinfo):
    """A time zone that pickles but cannot be unpickled (its __init__ needs an argument)."""

    def __init__(self, hours: int):
        self.hours = hours

    def utcoffset(self, moment):
        return timedelta(hours=self.hours)


def fetch(source: SourceConfig, context: FetchContext) -> SourceResult:
    host = source.url.split("/")[2]
    context.http.learnt[source.url] = Validators(etag=f'"{source.id}"')
    context.http.robots.learnt[host] = RobotsFile(host, "", datetime.now(UTC))
    if SCENARIO == "crash" and host == "d.example" and os.getpid() != MAIN:
        os._exit(3)
    published = None
    if source.id == "d.example-3" and SCENARIO in ("unpicklable", "unloadable"):
        zone = type("Local", (tzinfo,), {"utcoffset": lambda self, moment: timedelta(0)})
        published = datetime(2024, 2, 23, tzinfo=zone() if SCENARIO == "unpicklable" else Odd(1))
    # Imported before forking, not again by each process (no source here makes a request).
    summary = "requests imported" if "requests" in sys.modules else ""
    item = Item(source.id, source.url, str(os.getpid()), summary, published)
    return SourceResult(items=(item,))


SCENARIO, PROCESSES = sys.argv[1], int(sys.argv[2])
MAIN = os.getpid()
robots = RobotsCache()
kind = SourceKind("test", fetch)
jobs = [
    Job(
        kind,
        SourceConfig(f"{host}-{n}", "test", f"https://{host}/{n}.rss", f"{host} {n}"),
        FetchContext(http=HttpClient(robots=robots), settings=Settings()),
    )
    for n in range(10)
    for host in HOSTS
]
if SCENARIO == "threaded":
    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
print("fetching")  # stdout is a pipe: this stays in the buffer
outcomes = [
    {
        "source": jobs[fetched.index].source.id,
        "pid": fetched.result.items[0].title if fetched.result else None,
        "requests": bool(fetched.result and fetched.result.items[0].summary),
        "error": fetched.error,
        "learnt": [validators.etag for validators in fetched.learnt.values()],
    }
    for fetched in run_jobs(jobs, threads=8, processes=PROCESSES, robots=robots)
]
print(json.dumps({"me": str(MAIN), "outcomes": outcomes, "robots": sorted(robots.learnt)}))
