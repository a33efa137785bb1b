"""Runs publisher.fetch_pool.run_jobs in a process of its own and prints each outcome as
JSON: the test process runs server threads, and a process with threads never forks.

    python tests/fetch_in_processes.py SCENARIO PROCESSES [THREADS]

Sources live on hosts a.example ... d.example (10 each); their kind fetches nothing but
says which process and thread ran it. Scenarios:

- ``plain``; ``threaded`` (another thread runs, as in the web app);
- ``crash``, ``killed``: a forked process exits (code 3), or is killed (signal 9), while
  fetching d.example;
- ``unpicklable``, ``unloadable``, ``quits``: d.example-3's result (of a plugin's own
  SourceResult class, which the boundary passes on as it is) holds a time zone that cannot
  be pickled, cannot be unpickled, or calls sys.exit() when unpickled;
- ``gov.uk``: 40 more sources on GOV.UK, half as paths (fetched from the API's host, as
  ``publisher.fetch`` sets their origin), half as full addresses in capitals; and 30 on
  e.example whose feeds an earlier run found on www.gov.uk;
- ``skewed``: 60 sources on big.example (per_host 1) and 40 hosts with one source each;
- ``grandchild``: d.example-3's fetch forks a process of its own that lives 5 s;
- ``stuck``: d.example-3's fetch holds the interpreter lock in C for 30 s;
- ``no-fork``: the system refuses to start another process.
"""

import ctypes
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from urllib.parse import urljoin

from publisher.config import Settings, SourceConfig
from publisher.fetch_pool import Job, run_jobs
from publisher.http import HttpClient, HttpPolicy
from publisher.models import Item, SourceResult, SourceState, Validators
from publisher.robots import RobotsCache, RobotsFile
from publisher.sources import FetchContext, SourceKind

HOSTS = ("a.example", "b.example", "c.example", "d.example")


class Odd(tzinfo):
    """A time zone that pickles but cannot be unpickled (its __init__ needs an argument)."""

    def __init__(self, hours: int):
        self.hours = hours

    def utcoffset(self, moment):
        return timedelta(hours=self.hours)


class Quits(tzinfo):
    """A time zone that ends the process that unpickles it."""

    def __reduce__(self):
        return (sys.exit, (3,))

    def utcoffset(self, moment):
        return timedelta(0)


@dataclass(frozen=True)
class ResultWithMore(SourceResult):
    """A plugin's result with a field of its own."""

    more: object = None


def zone_for(scenario: str) -> tzinfo:
    if scenario == "unpicklable":  # a class made inside a function cannot be pickled
        return type("Local", (tzinfo,), {"utcoffset": lambda self, moment: timedelta(0)})()
    return Odd(1) if scenario == "unloadable" else Quits()


def fetch(source: SourceConfig, context: FetchContext) -> SourceResult:
    host = source.url.split("/")[2] if "://" in source.url else "www.gov.uk"
    context.http.learnt[source.url] = Validators(etag=f'"{source.id}"')
    context.http.robots.learnt[host] = RobotsFile(host, "", datetime.now(UTC))
    forked = os.getpid() != MAIN
    if SCENARIO == "crash" and host == "d.example" and forked:
        os._exit(3)
    if SCENARIO == "killed" and host == "d.example" and forked:
        os.kill(os.getpid(), signal.SIGKILL)
    more = None
    if source.id == "d.example-3":
        if SCENARIO in ("unpicklable", "unloadable", "quits"):
            more = zone_for(SCENARIO)
        elif SCENARIO == "grandchild" and os.fork() == 0:
            os.closerange(0, 3)  # it keeps only what it inherited from publisher
            time.sleep(5)
            os._exit(0)
        elif SCENARIO == "stuck":
            ctypes.PyDLL(None).sleep(30)  # PyDLL: the lock stays held
    time.sleep(0.01)  # long enough for every worker thread to be started
    # Imported before forking, not again by each process (no source here makes a request).
    summary = "requests imported" if "requests" in sys.modules else ""
    title = f"{os.getpid()} {threading.get_ident()}"
    item = Item(source.id, context.http.origin, title, summary)
    return ResultWithMore(items=(item,), more=more)


def job(source_id: str, url: str, state: SourceState | None = None) -> Job:
    policy = HttpPolicy(per_host=1 if SCENARIO == "skewed" else 2)
    origin = urljoin("https://www.gov.uk/", url)  # as publisher.fetch gives it
    http = HttpClient(policy, robots=robots, origin=origin)
    context = FetchContext(http, Settings(), state or SourceState())
    return Job(kind, SourceConfig(source_id, "test", url, source_id), context)


SCENARIO, PROCESSES = sys.argv[1], int(sys.argv[2])
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 8
MAIN = os.getpid()
robots = RobotsCache()
kind = SourceKind("test", fetch)
jobs = [job(f"{host}-{n}", f"https://{host}/{n}.rss") for n in range(10) for host in HOSTS]
if SCENARIO == "gov.uk":
    jobs += [job(f"www.gov.uk-path{n}", f"/government/news/{n}") for n in range(20)]
    jobs += [job(f"www.gov.uk-full{n}", f"https://WWW.GOV.UK/feeds/{n}.atom") for n in range(20)]
    for n in range(30):
        found = SourceState(resolved_url=f"https://www.gov.uk/found/{n}.atom")
        jobs.append(job(f"www.gov.uk-found{n}", f"https://e.example/{n}", found))
elif SCENARIO == "skewed":
    jobs = [job(f"big.example-{n}", f"https://big.example/{n}.rss") for n in range(60)]
    jobs += [job(f"h{n}.example-0", f"https://h{n}.example/feed.rss") for n in range(40)]
elif SCENARIO == "threaded":
    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
elif SCENARIO == "no-fork":

    def refuse(process):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    multiprocessing.get_context("fork").Process.start = refuse
print("fetching", flush=SCENARIO == "stuck")  # otherwise it stays in the pipe's buffer
outcomes = [
    {
        "source": jobs[fetched.index].source.id,
        "pid": fetched.result.items[0].title.split()[0] if fetched.result else None,
        "thread": fetched.result.items[0].title.split()[1] if fetched.result else None,
        "requests": bool(fetched.result and fetched.result.items[0].summary),
        "error": fetched.error,
        "learnt": [validators.etag for validators in fetched.learnt.values()],
    }
    for fetched in run_jobs(jobs, threads=THREADS, processes=PROCESSES, robots=robots)
]
print(json.dumps({"me": str(MAIN), "outcomes": outcomes, "robots": sorted(robots.learnt)}))
