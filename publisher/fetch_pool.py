"""Run the sources' fetches in worker threads and, for big runs, across processes.

Fetching is mostly waiting, so threads overlap it well; but parsing, HTTP bookkeeping and
storing all need the one interpreter lock (the GIL), so a run of hundreds of feeds ends up
waiting on one core. A big run is therefore split by host across forked processes, each
with its own threads and lock. Every source of a host (the host a source is fetched from:
GOV.UK paths and feeds discovered on earlier runs included) goes to the same process, so
the per-host politeness rules hold as before; only a redirect to another host can reach it
from two processes at once. Children only fetch and parse: they send each source's result
back, and the parent alone writes to the store.
"""

from __future__ import annotations

import functools
import os
import pickle
import queue
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from publisher import watchdog
from publisher.boundary import SourceResultError, checked
from publisher.config import SourceConfig
from publisher.http import FetchError, Validators, import_requests
from publisher.models import SourceResult
from publisher.robots import RobotsCache, RobotsFile
from publisher.sources import FetchContext, SourceKind

if TYPE_CHECKING:  # multiprocessing is imported only by a run that forks
    from multiprocessing import Process
    from multiprocessing.connection import Connection

# A process is worth forking only for this many sources (forking costs a few milliseconds;
# fetching 20 feeds takes hundreds).
SOURCES_PER_PROCESS = 20
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass(frozen=True)
class Job:
    kind: SourceKind
    source: SourceConfig
    context: FetchContext


# One host's jobs, each with its place in the run; a group of hosts is a list of these.
HostJobs = list[tuple[int, Job]]


@dataclass(frozen=True)
class Fetched:
    """How one job went: its result, or why it failed, and the validators it learnt."""

    index: int
    result: SourceResult | None = None
    error: str | None = None
    learnt: dict[str, Validators] = field(default_factory=dict)


@dataclass(frozen=True)
class _ChildEnded:
    """A forked process is done, and this is what it learnt of robots.txt files."""

    robots: dict[str, RobotsFile]


def run_jobs(
    jobs: list[Job], threads: int, processes: int, robots: RobotsCache
) -> Iterator[Fetched]:
    """Yield each job's outcome as it finishes, in the calling thread.

    Jobs are taken round-robin by host, so workers waiting on one host's politeness gate
    never leave the others idle. Up to ``processes`` processes (this one included) share
    the jobs by host, and exactly ``threads`` worker threads are shared among them by what
    each can use at once. What children learn of robots.txt files is added to
    ``robots.learnt``.
    """
    if not jobs:
        return
    groups = _host_groups(jobs, min(threads, processes) if _can_fork() else 1)
    shares = _thread_shares(threads, [_usable(group) for group in groups])
    if len(groups) > 1:  # loaded once here rather than in each child, after forking
        import_requests()
        _prctl()
    local, local_threads = list(groups[0]), shares[0]
    children = []
    done: queue.SimpleQueue = queue.SimpleQueue()
    try:
        for group, share in zip(groups[1:], shares[1:], strict=True):
            try:
                children.append(_start_child(_interleaved(group), share, robots))
            except OSError:  # no process to be had (a container's limit): fetched here
                local += group
                local_threads += share
        # Threads start only now: a process must not fork while other threads run.
        for connection, process, group in children:
            threading.Thread(
                target=_relay, args=(connection, process, group, done), daemon=True
            ).start()
        with ThreadPoolExecutor(max_workers=local_threads) as pool:
            for index, job in _interleaved(local):
                future = pool.submit(_run, index, job)
                future.add_done_callback(lambda future, i=index: done.put(_outcome(future, i)))
            remaining, running = len(jobs), len(children)
            while remaining or running:
                message = done.get()
                if isinstance(message, _ChildEnded):
                    robots.learnt.update(message.robots)
                    running -= 1
                else:
                    remaining -= 1
                    yield message
    finally:
        for _, process, _ in children:
            if process.is_alive():  # the caller stopped early (Ctrl-C)
                process.terminate()
            process.join()


def _can_fork() -> bool:
    # fork is Linux's cheap way to start a process that already holds the plugins and the
    # jobs; it is unsafe while other threads run (the web app) and on macOS.
    watchdog.settle()  # an earlier run's watchdog may still be on its way out
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _host_groups(jobs: list[Job], processes: int) -> list[list[HostJobs]]:
    by_host: dict[str, HostJobs] = defaultdict(list)
    for index, job in enumerate(jobs):
        by_host[_host(job)].append((index, job))
    count = max(1, min(processes, len(by_host), len(jobs) // SOURCES_PER_PROCESS))
    groups: list[list[HostJobs]] = [[] for _ in range(count)]
    for host_jobs in sorted(by_host.values(), key=len, reverse=True):
        min(groups, key=lambda group: sum(map(len, group))).append(host_jobs)
    return groups


def _host(job: Job) -> str:
    """The host a job's requests go to: the feed found on an earlier run, or the source's
    address (a GOV.UK path's is the GOV.UK API's)."""
    context = job.context
    address = context.state.resolved_url or context.http.origin or job.source.url or ""
    return urlsplit(address).netloc.lower()


def _usable(group: list[HostJobs]) -> int:
    """How many of a group's requests politeness lets run at once."""
    return sum(
        min(len(host_jobs), host_jobs[0][1].context.http.policy.per_host) for host_jobs in group
    )


def _thread_shares(threads: int, usable: list[int]) -> list[int]:
    """``threads`` shared among groups (no more groups than threads), one each at least,
    the rest where the fewest threads serve the most requests that may run at once."""
    shares = [1] * len(usable)
    for _ in range(threads - len(usable)):
        neediest = max(range(len(usable)), key=lambda group: usable[group] / shares[group])
        shares[neediest] += 1
    return shares


def _interleaved(group: list[HostJobs]) -> HostJobs:
    """Round-robin over the group's hosts."""
    return [
        host_jobs[position]
        for position in range(max(map(len, group), default=0))
        for host_jobs in group
        if position < len(host_jobs)
    ]


def _start_child(
    jobs: HostJobs, threads: int, robots: RobotsCache
) -> tuple[Connection, Process, HostJobs]:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(jobs, threads, robots, theirs, os.getpid()), daemon=True
    )
    process.start()
    theirs.close()
    return ours, process, jobs


def _child(
    jobs: HostJobs, threads: int, robots: RobotsCache, connection: Connection, parent: int
) -> None:
    _end_with_parent(parent)
    # Ctrl-C reaches the whole process group: the parent stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = {pool.submit(_run, index, job): index for index, job in jobs}
        try:
            for future in as_completed(futures):
                index = futures[future]
                connection.send_bytes(_message(index, _outcome(future, index)))
            connection.send_bytes(_message(None, robots.learnt))  # the last word
        except OSError:  # the parent stopped listening: nobody wants the rest
            os._exit(1)


def _end_with_parent(parent: int) -> None:
    """Have Linux end this process when its parent ends, kill -9 included: it would go
    on fetching for nobody, holding what it inherited (the lock of `publisher check`)."""
    _prctl()(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before that took hold
        os._exit(1)


@functools.cache
def _prctl() -> Callable[..., int]:
    """libc's prctl (loading ctypes and libc took a child 4-5 ms when it started)."""
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def _message(index: int | None, value: object) -> bytes:
    """A job's index, and its outcome pickled on its own: whatever a plugin returned that
    cannot cross between processes fails that one source, by name."""
    try:
        payload = pickle.dumps(value)
    except BaseException as error:  # noqa: BLE001 - e.g. a class made inside a function
        payload = pickle.dumps(_stuck(index, error))
    return pickle.dumps((index, payload))


def _stuck(index: int | None, error: BaseException) -> Fetched | dict:
    """What stands for a value that could not cross between processes."""
    if index is None:  # what a child learnt of robots.txt files: they are asked again
        return {}
    problem = f"unreadable data from the source (cannot be passed between processes): {error!r}"
    return Fetched(index, error=problem)


def _relay(
    connection: Connection,
    process: Process,
    jobs: HostJobs,
    done: queue.SimpleQueue,
) -> None:
    """Pass a child's messages on; if it dies, its unfinished sources fail by name."""
    pending = {index for index, _ in jobs}
    robots: dict[str, RobotsFile] = {}
    try:
        while True:
            index, payload = pickle.loads(connection.recv_bytes())
            try:
                value = pickle.loads(payload)
            except BaseException as error:  # noqa: BLE001 - a plugin's class may even exit
                value = _stuck(index, error)
            if index is None:  # the last word (a process the plugin forked may hold the pipe)
                robots = value
                break
            pending.discard(index)
            done.put(value)
    except (EOFError, OSError):  # it died
        pass
    finally:  # whatever happened, the run hears of every source and of this child's end
        connection.close()  # a child still writing fails and ends, rather than wait on us
        process.join()
        for index in sorted(pending):
            done.put(Fetched(index, error=_stopped(process.exitcode)))
        done.put(_ChildEnded(robots))


def _stopped(exit_code: int | None) -> str:
    how = (
        f"killed by signal {-exit_code}"
        if exit_code and exit_code < 0
        else f"exit code {exit_code}"
    )
    return f"the process fetching it stopped unexpectedly ({how})"


def _outcome(future: Future, index: int) -> Fetched:
    if (problem := future.exception()) is not None:  # sys.exit() in a plugin, say
        return Fetched(index, error=f"the fetch stopped: {problem!r}")
    return future.result()


def _run(index: int, job: Job) -> Fetched:
    source, kind, context = job.source, job.kind, job.context
    try:
        base_url = source.url if urlsplit(source.url or "").scheme else None
        result = checked(kind.fetch(source, context), base_url)
        return Fetched(index, result, learnt=context.http.learnt)
    except FetchError as error:
        return Fetched(index, error=str(error))
    except SourceResultError as error:
        return Fetched(index, error=f"unreadable data from the source: {error}")
    except Exception as error:  # a buggy plugin must not stop the other sources
        return Fetched(index, error=f"unexpected error in the '{kind.name}' source: {error!r}")
