"""Run the sources' fetches in worker threads and, for big runs, across processes.

Fetching is mostly waiting, so threads overlap it well; but parsing, HTTP bookkeeping and
storing all need the one interpreter lock (the GIL), so a run of hundreds of feeds ends up
waiting on one core. A big run is therefore split by host across forked processes, each
with its own threads and lock. Every source of a host goes to the same process, so the
per-host politeness rules hold as before. Children only fetch and parse: they send each
source's result back, and the parent alone writes to the store.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from urllib.parse import urlsplit

from publisher.boundary import SourceResultError, checked
from publisher.config import SourceConfig
from publisher.http import FetchError, Validators, import_requests
from publisher.models import SourceResult
from publisher.robots import RobotsCache, RobotsFile
from publisher.sources import FetchContext, SourceKind

# A process is worth forking only for this many sources (forking costs a few milliseconds;
# fetching 20 feeds takes hundreds).
SOURCES_PER_PROCESS = 20


@dataclass(frozen=True)
class Job:
    kind: SourceKind
    source: SourceConfig
    context: FetchContext


@dataclass(frozen=True)
class Fetched:
    """How one job went: its result, or why it failed, and the validators it learnt."""

    index: int
    result: SourceResult | None = None
    error: str | None = None
    learnt: dict[str, Validators] = field(default_factory=dict)


@dataclass(frozen=True)
class _ChildEnded:
    robots: dict[str, RobotsFile]


def run_jobs(
    jobs: list[Job], threads: int, processes: int, robots: RobotsCache
) -> Iterator[Fetched]:
    """Yield each job's outcome as it finishes, in the calling thread.

    Up to ``processes`` processes (this one included) share the jobs by host, and
    ``threads`` worker threads are shared out in proportion. What children learn of
    robots.txt files is added to ``robots.learnt``.
    """
    if not jobs:
        return
    groups = _host_groups(jobs, processes if _can_fork() else 1)
    if len(groups) > 1:
        import_requests()
    done: queue.SimpleQueue = queue.SimpleQueue()
    children = [_start_child(group, _share(threads, group, jobs), robots) for group in groups[1:]]
    try:
        # Threads start only now: a process must not fork while other threads run.
        for connection, process, group in children:
            threading.Thread(
                target=_relay, args=(connection, process, group, done), daemon=True
            ).start()
        with ThreadPoolExecutor(max_workers=_share(threads, groups[0], jobs)) as pool:
            for index, job in groups[0]:
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
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _host_groups(jobs: list[Job], processes: int) -> list[list[tuple[int, Job]]]:
    by_host: dict[str, list[tuple[int, Job]]] = defaultdict(list)
    for index, job in enumerate(jobs):
        by_host[urlsplit(job.source.url or "").netloc].append((index, job))
    count = max(1, min(processes, len(by_host), len(jobs) // SOURCES_PER_PROCESS))
    groups: list[list[tuple[int, Job]]] = [[] for _ in range(count)]
    for host_jobs in sorted(by_host.values(), key=len, reverse=True):
        min(groups, key=len).extend(host_jobs)
    for group in groups:
        group.sort(key=lambda pair: pair[0])  # keep the hosts interleaved
    return groups


def _share(threads: int, group: list, jobs: list) -> int:
    return max(1, round(threads * len(group) / len(jobs)))


def _start_child(
    group: list[tuple[int, Job]], threads: int, robots: RobotsCache
) -> tuple[Connection, multiprocessing.Process, list[tuple[int, Job]]]:
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(group, threads, robots, theirs), daemon=True)
    process.start()
    theirs.close()
    return ours, process, group


def _child(
    group: list[tuple[int, Job]], threads: int, robots: RobotsCache, connection: Connection
) -> None:
    # Ctrl-C reaches the whole process group: the parent stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = {pool.submit(_run, index, job): index for index, job in group}
            for future in as_completed(futures):
                index = futures[future]
                connection.send_bytes(_message(index, _outcome(future, index)))
        connection.send_bytes(_message(None, robots.learnt))  # the last word
    except OSError:  # the parent is gone (killed): nobody wants the rest
        os._exit(1)


def _message(index: int | None, value: object) -> bytes:
    """A job's index, and its outcome pickled on its own: whatever a plugin returned that
    cannot cross between processes fails that one source, by name."""
    try:
        payload = pickle.dumps(value)
    except Exception as error:  # noqa: BLE001 - e.g. a class defined inside a function
        payload = pickle.dumps(_stuck(index, error))
    return pickle.dumps((index, payload))


def _stuck(index: int | None, error: Exception) -> Fetched | dict:
    """What stands for a value that could not cross between processes."""
    if index is None:  # what a child learnt of robots.txt files: they are asked again
        return {}
    problem = f"unreadable data from the source (cannot be passed between processes): {error!r}"
    return Fetched(index, error=problem)


def _exit_with_parent() -> None:
    """A child outliving a killed parent would go on fetching for nobody, holding what it
    inherited (the lock of `publisher check` among them)."""
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(1)


def _relay(
    connection: Connection,
    process: multiprocessing.Process,
    group: list[tuple[int, Job]],
    done: queue.SimpleQueue,
) -> None:
    """Pass a child's messages on; if it dies, its unfinished sources fail by name."""
    pending = {index for index, _ in group}
    robots: dict[str, RobotsFile] = {}
    try:
        while True:
            index, payload = pickle.loads(connection.recv_bytes())
            try:
                value = pickle.loads(payload)
            except Exception as error:  # noqa: BLE001 - e.g. a time zone that will not load
                value = _stuck(index, error)
            if index is None:
                robots = value
            else:
                pending.discard(index)
                done.put(value)
    except (EOFError, OSError):  # it finished, or died
        pass
    finally:  # whatever happened, the run hears of every source and of this child's end
        process.join()
        stopped = f"the process fetching it stopped unexpectedly (exit code {process.exitcode})"
        for index in sorted(pending):
            done.put(Fetched(index, error=stopped))
        done.put(_ChildEnded(robots))


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
