"""One thread that ends work past its deadline, for every request of a process.

A response body can trickle in forever without tripping a read timeout, so each body gets a
deadline (``publisher.http``). A timer thread for every request cost about a quarter of a
request's CPU; this thread runs only while some deadline is pending and sleeps until the
earliest one. When the last pending deadline ends, the thread is told to stop; ``settle``
waits until it has, so that a process between runs has no thread of ours
(``publisher.fetch_pool`` forks only a process without threads).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

_condition = threading.Condition()
_pending: dict[object, tuple[float, Callable[[], None], threading.Event]] = {}
_thread: threading.Thread | None = None  # the watchdog while it is wanted
_retired: list[threading.Thread] = []  # told to stop, perhaps still stopping
_wake_at = float("inf")  # when it next looks


@contextmanager
def deadline(seconds: float, cut_off: Callable[[], None]) -> Iterator[threading.Event]:
    """Run the block; if it is still running after ``seconds``, call ``cut_off`` from the
    watchdog thread (it must make the block fail soon, e.g. by closing its socket). The
    event yielded is set once that happened."""
    key, overdue = object(), threading.Event()
    due = time.monotonic() + seconds
    with _condition:
        _pending[key] = (due, cut_off, overdue)
        try:
            _watch_for(due)
        except BaseException:  # no thread to be had: nothing is left pending either
            del _pending[key]
            raise
    try:
        yield overdue
    finally:
        _forget(key)


def _watch_for(due: float) -> None:
    """(Holding the lock.) Make sure a watchdog runs and looks no later than ``due``."""
    global _thread
    if _thread is None:
        thread = threading.Thread(target=_watch, name="publisher-watchdog", daemon=True)
        thread.start()  # it waits for the lock we hold, then finds itself in _thread
        _thread = thread
    elif due < _wake_at:
        _condition.notify_all()


def settle() -> None:
    """Wait until no watchdog thread is left running unless a deadline is pending."""
    with _condition:
        stopping = list(_retired)
        _retired.clear()
    for thread in stopping:
        thread.join()


def _forget(key: object) -> None:
    global _thread
    with _condition:
        _pending.pop(key, None)  # gone already if it was cut off
        if not _pending and _thread is not None:
            _retired[:] = [thread for thread in _retired if thread.is_alive()]
            _retired.append(_thread)
            _thread = None
            _condition.notify_all()


def _watch() -> None:
    global _wake_at
    me = threading.current_thread()
    while True:
        with _condition:
            if _thread is not me:  # retired: nothing is pending, or a newer one took over
                return
            now = time.monotonic()
            due = [key for key, (when, _, _) in _pending.items() if when <= now]
            overdue = [_pending.pop(key) for key in due]
            if not overdue:
                _wake_at = min((when for when, _, _ in _pending.values()), default=float("inf"))
                _condition.wait(min(_wake_at - now, threading.TIMEOUT_MAX))
                continue
        for _, cut_off, event in overdue:  # outside the lock: cutting off may take a moment
            event.set()
            with suppress(Exception):  # one failing cut-off must not end the watch for all
                cut_off()


def _forget_in_child() -> None:
    """A forked process has none of its parent's threads, nor their requests (whose sockets
    it shares: it must never cut them off)."""
    global _condition, _thread, _wake_at
    _condition, _thread, _wake_at = threading.Condition(), None, float("inf")
    _pending.clear()
    _retired.clear()


os.register_at_fork(after_in_child=_forget_in_child)
