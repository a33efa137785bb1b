"""One thread that ends work past its deadline, for every request of a process.

A response body can trickle in forever without tripping a read timeout, so each body gets a
deadline (``publisher.http``). A timer thread for every request cost about a quarter of a
request's CPU; this thread runs only while some deadline is pending and sleeps until the
earliest one. It ends as soon as none is pending, so a process between runs has no thread
of ours (``publisher.fetch_pool`` forks only a process without threads).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_condition = threading.Condition()
_pending: dict[object, tuple[float, Callable[[], None], threading.Event]] = {}
_watching = False  # whether the thread is running (or about to end)
_wake_at = float("inf")  # when the running thread next looks


@contextmanager
def deadline(seconds: float, cut_off: Callable[[], None]) -> Iterator[threading.Event]:
    """Run the block; if it is still running after ``seconds``, call ``cut_off`` from the
    watchdog thread (it must make the block fail soon, e.g. by closing its socket). The
    event yielded is set once that happened."""
    global _watching
    key, overdue = object(), threading.Event()
    due = time.monotonic() + seconds
    with _condition:
        _pending[key] = (due, cut_off, overdue)
        if not _watching:
            _watching = True
            threading.Thread(target=_watch, name="publisher-watchdog", daemon=True).start()
        elif due < _wake_at:
            _condition.notify()
    try:
        yield overdue
    finally:
        with _condition:
            _pending.pop(key, None)  # gone already if it was cut off
            if not _pending:
                _condition.notify()  # nothing left to watch: the thread ends now


def _watch() -> None:
    global _watching, _wake_at
    while True:
        with _condition:
            now = time.monotonic()
            due = [key for key, (when, _, _) in _pending.items() if when <= now]
            overdue = [_pending.pop(key) for key in due]
            if not _pending and not overdue:
                _watching, _wake_at = False, float("inf")
                return
            if not overdue:
                _wake_at = min(when for when, _, _ in _pending.values())
                _condition.wait(_wake_at - now)
                continue
        for _, cut_off, event in overdue:  # outside the lock: cutting off may take a moment
            event.set()
            cut_off()


def _forget_in_child() -> None:
    """A forked process has none of its parent's threads, nor their requests (whose sockets
    it shares: it must never cut them off)."""
    global _condition, _watching, _wake_at
    _condition, _watching, _wake_at = threading.Condition(), False, float("inf")
    _pending.clear()


os.register_at_fork(after_in_child=_forget_in_child)
