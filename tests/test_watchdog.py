"""The watchdog that ends response bodies past their deadline (publisher.watchdog)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from publisher import watchdog


def watchdog_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "publisher-watchdog"]


def wait_for(condition, seconds: float = 5.0) -> bool:
    ends = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > ends:
            return False
        time.sleep(0.005)
    return True


def test_a_block_past_its_deadline_is_cut_off_and_one_on_time_is_not():
    cut = []
    with watchdog.deadline(0.05, lambda: cut.append("slow")) as overdue:
        assert wait_for(overdue.is_set, 2)
    with watchdog.deadline(5, lambda: cut.append("quick")) as on_time:
        pass
    assert cut == ["slow"]
    assert not on_time.is_set()


def test_many_blocks_at_once_are_each_cut_off_at_their_own_deadline():
    late = 0.4  # how long the slow blocks overrun theirs
    cut_after: dict[float, float] = {}
    finished = threading.Barrier(7)

    def block(seconds: float) -> None:
        started = time.monotonic()
        record = lambda: cut_after.setdefault(seconds, time.monotonic() - started)  # noqa: E731
        with watchdog.deadline(seconds, record):
            time.sleep(seconds + late if seconds < 1 else 0.1)
        finished.wait()

    # Registered longest first: each shorter deadline must wake the sleeping watchdog.
    for seconds in (0.8, 0.6, 0.2, 0.1, 5.0, 6.0):
        threading.Thread(target=block, args=(seconds,)).start()
        time.sleep(0.01)
    finished.wait(timeout=10)
    assert sorted(cut_after) == [0.1, 0.2, 0.6, 0.8]  # not the two that ended in time
    for seconds, after in cut_after.items():
        assert seconds <= after < seconds + late


def test_once_the_last_deadline_ends_settling_leaves_no_thread():
    """A process between runs has no thread of ours, so a big run may fork (fetch_pool)."""
    for pause in (0, 0, 0, 0.1):  # ended at once, or asleep until its deadline
        with watchdog.deadline(60, lambda: None):
            assert len(watchdog_threads()) == 1
            time.sleep(pause)
        watchdog.settle()
        assert not watchdog_threads()
    with watchdog.deadline(0.01, lambda: None) as overdue:  # and starts again when needed
        assert wait_for(overdue.is_set, 2)
    watchdog.settle()
    assert not watchdog_threads()


def test_a_cut_off_that_fails_does_not_stop_the_others():
    def fails():
        raise RuntimeError("the socket was already gone")

    cut = []
    with watchdog.deadline(0.02, fails) as first, watchdog.deadline(0.02, lambda: cut.append(2)):
        assert wait_for(first.is_set, 2)
        assert wait_for(lambda: cut == [2], 2)
    with watchdog.deadline(0.02, lambda: cut.append(3)) as later:
        assert wait_for(later.is_set, 2)
    assert cut == [2, 3]


def test_a_deadline_too_far_to_wait_for_still_lets_nearer_ones_be_kept():
    with watchdog.deadline(1e12, lambda: None):
        time.sleep(0.05)  # the watchdog now sleeps as long as it may
        with watchdog.deadline(0.02, lambda: None) as near:
            assert wait_for(near.is_set, 2)


def test_a_watchdog_that_cannot_start_fails_that_block_alone(monkeypatch):
    def refuse(thread):
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", refuse)
        with pytest.raises(RuntimeError, match="can't start"), watchdog.deadline(1, print):
            pass
    with watchdog.deadline(0.02, lambda: None) as later:  # nothing was left half set up
        assert wait_for(later.is_set, 2)
    watchdog.settle()
    assert not watchdog_threads()


def test_a_forked_child_watches_its_own_blocks_and_never_its_parents():
    read_end, write_end = os.pipe()
    with watchdog.deadline(0.3, lambda: os.write(write_end, f"{os.getpid()} ".encode())):
        child = os.fork()
        if child == 0:  # the child: its own deadline must fire; the parent's must not, here
            with watchdog.deadline(0.05, lambda: None) as overdue:
                fired = wait_for(overdue.is_set, 2)
                time.sleep(0.5)  # past the parent's deadline
            os._exit(0 if fired else 1)
        _, status = os.waitpid(child, 0)
    os.close(write_end)
    with os.fdopen(read_end) as cut_by:
        assert cut_by.read().split() == [str(os.getpid())]
    assert os.waitstatus_to_exitcode(status) == 0
