"""Health: what `sources` lists, what `check` says once when a source's health changes,
and whether a check has held its lock for too long."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.config import Config
from publisher.dates import from_iso, to_iso, utcnow
from publisher.models import SourceState
from publisher.store import Store

if TYPE_CHECKING:
    from publisher.fetch import SourceReport


def source_rows(config: Config, store: Store) -> list[dict]:
    """Each configured source with its health: resolved feed, last success, last new item,
    last error and failures in a row (the stable JSON shape of `publisher sources`)."""
    states = store.source_states()
    rows = []
    for source in config.sources:
        state = states.get(source.id, SourceState())
        rows.append(
            {
                "id": source.id,
                "kind": source.kind,
                "url": source.url,
                "title": source.title,
                "audiences": list(source.audiences),
                "statutory": source.statutory,
                "resolved_url": state.resolved_url,
                "last_success": state.last_success,
                "last_new_item": state.last_new_item,
                "last_error": state.last_error,
                "consecutive_failures": state.consecutive_failures,
                "failing_since": state.failing_since,
                "last_notes": list(state.last_notes),
            }
        )
    return rows


def health_news(config: Config, store: Store, reports: list[SourceReport]) -> list[str]:
    """What changed in the sources' health this run, each said once: a source starts failing,
    has failed for `flag_after_failures` runs, works again, or has produced nothing new for
    `flag_quiet_days`. Records which sources are flagged quiet, so the flag is said once."""
    settings = config.settings
    states = store.source_states()
    news = []
    quiet_changed = {}
    for report in reports:
        name = f"source '{report.source_id}'"
        state = states.get(report.source_id, SourceState())
        if report.status == "failed" and report.failures == 1:
            news.append(f"{name} failed: {report.error}")
        elif report.status == "failed" and report.failures == settings.flag_after_failures:
            news.append(
                f"{name} has failed {report.failures} runs in a row "
                f"(since {state.failing_since}): {report.error}"
            )
        elif report.status != "failed" and report.failures_before:
            news.append(f"{name} works again after {report.failures_before} failed runs")
        if report.status == "failed":
            continue
        last_new = from_iso(state.last_new_item)
        quiet_for = (utcnow() - last_new).days if last_new else 0
        is_quiet = quiet_for >= settings.flag_quiet_days
        if is_quiet and not state.quiet_flagged_at:
            news.append(
                f"{name} has produced nothing new for {quiet_for} days "
                f"(last new item {last_new:%d/%m/%Y}): is it still the right address?"
            )
        if is_quiet != bool(state.quiet_flagged_at):
            quiet_changed[report.source_id] = is_quiet
    with store.transaction():
        for source_id, is_quiet in quiet_changed.items():
            store.mark_quiet_flagged(source_id, is_quiet)
    return news


LOCK_NOTE = "check.started"


def mark_lock_taken(data_dir: Path) -> None:
    """Note when (and by which process) the check lock was taken."""
    (Path(data_dir) / LOCK_NOTE).write_text(f"{to_iso(utcnow())} {os.getpid()}\n")


def last_check(data_dir: Path) -> datetime | None:
    """When the last check started in this data folder, if one ever did."""
    try:
        return from_iso((Path(data_dir) / LOCK_NOTE).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def lock_held_too_long(data_dir: Path, limit: float) -> str | None:
    """A warning when the check lock has been held for more than ``limit`` seconds: a
    check that hangs would otherwise silently stop every later check (and its alerts)."""
    try:
        taken, pid = (Path(data_dir) / LOCK_NOTE).read_text().split()
    except (OSError, ValueError):
        return None
    since = from_iso(taken)
    held = (utcnow() - since).total_seconds()
    if held <= limit:
        return None
    return (
        f"another check (process {pid}) has held the lock since {since:%d/%m/%Y %H:%M} UTC, "
        f"{held / 60:.0f} minutes: is it stuck?"
    )
