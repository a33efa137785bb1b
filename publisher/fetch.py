"""Fetch every configured source in parallel; store each source's result on its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from publisher.config import Config, SourceConfig
from publisher.detect import detect_changes, new_item_changes, remembered
from publisher.documents import DocumentFiles
from publisher.editions import with_comparison
from publisher.fetch_pool import Fetched, Job, run_jobs
from publisher.http import HostGate, HttpClient, Validators
from publisher.models import Change, SourceResult, SourceState, digest
from publisher.plugins import load_plugins
from publisher.robots import RobotsCache
from publisher.sources import FetchContext, SourceKind
from publisher.store import ItemCounts, Store


@dataclass(frozen=True)
class SourceReport:
    """How fetching one source went: ``ok``, ``not-modified`` or ``failed``."""

    source_id: str
    status: str
    counts: ItemCounts = ItemCounts()
    error: str | None = None
    notes: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    failures: int = 0  # consecutive failed runs, this one included
    failures_before: int = 0  # consecutive failed runs before this one

    def describe(self) -> str:
        if self.status == "failed":
            return f"FAILED: {self.error}"
        if self.status == "not-modified":
            return "not modified"
        counts = self.counts
        text = f"{counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged"
        changes = [
            f"{'statutory ' if change.statutory else ''}{change.kind} change: {change.title}"
            for change in self.changes
        ]
        return "; ".join((text, *changes, *self.notes))


def fetch_sources(
    config: Config,
    store: Store,
    kinds: dict[str, SourceKind],
    only: Iterable[str] | None = None,
    workers: int | None = None,
    on_report: Callable[[SourceReport], None] | None = None,
    since: datetime | None = None,
) -> list[SourceReport]:
    """Fetch sources (all, or those named in ``only``) and store what they hold.

    Sources are fetched and parsed in worker threads (in a big run, in forked processes
    too: publisher.fetch_pool); this thread then writes each source's items, state and
    HTTP validators in one transaction, so a failure or crash loses nothing already stored
    and a broken source never stops the others.
    """
    wanted = set(only) if only else None
    sources = [source for source in config.sources if wanted is None or source.id in wanted]
    if not sources:
        return []
    validators = store.validators()
    states = store.source_states()
    policy = config.settings.http
    gate = HostGate(policy.per_host, policy.host_delay)
    robots = RobotsCache(store.robots_files())
    files = DocumentFiles(store.data_dir)
    jobs = []
    for source in sources:
        kind = kinds[source.kind]
        state = states.get(source.id, SourceState())
        # A source whose configuration changed (a new selector, say) is read afresh.
        unchanged_config = state.config_hash == config_hash(source)
        origin = urljoin(config.settings.govuk_base_url + "/", source.url or "")
        http = HttpClient(
            policy, gate, validators if unchanged_config else {}, robots, origin=origin
        )
        context = FetchContext(
            http=http,
            settings=config.settings,
            state=state,
            known_keys=store.item_keys(source.id) if kind.uses_known_keys else frozenset(),
            has_file=files.has,
        )
        jobs.append(Job(kind, source, context))
    reports = []
    threads = workers or config.settings.workers
    for fetched in run_jobs(jobs, threads, config.settings.processes, robots):
        job = jobs[fetched.index]
        report = _store_result(store, job, fetched, since)
        reports.append(report)
        if on_report:
            on_report(report)
    with store.transaction():
        store.save_robots_files(robots.learnt.values())
    order = {source.id: index for index, source in enumerate(sources)}
    return sorted(reports, key=lambda report: order[report.source_id])


def config_hash(source: SourceConfig) -> str:
    return digest(source.kind, source.url, json.dumps(source.options, sort_keys=True, default=str))


def _store_result(
    store: Store, job: Job, fetched: Fetched, since: datetime | None = None
) -> SourceReport:
    """Items, versions, changes, validators and source health: one transaction. If storing
    or detection fails, the transaction rolls back and the source fails by name; the other
    sources are stored as usual."""
    source = job.source
    failures_before = job.context.state.consecutive_failures
    error = fetched.error
    if fetched.result is not None:
        try:
            return _store_success(store, job, fetched.result, fetched.learnt, since)
        except Exception as problem:  # noqa: BLE001 - one source's bad data stops only it
            error = f"could not store what the source returned: {problem!r}"
    with store.transaction():
        store.record_attempt(source.id, source.kind, source.url, error)
    return SourceReport(
        source.id,
        "failed",
        error=error,
        failures=failures_before + 1,
        failures_before=failures_before,
    )


def _store_success(
    store: Store,
    job: Job,
    result: SourceResult,
    learnt: dict[str, Validators],
    since: datetime | None,
) -> SourceReport:
    source, state = job.source, job.context.state
    files = DocumentFiles(store.data_dir)
    for url, content in result.files.items():  # kept first: the comparisons below read them
        files.keep(url, content)
    with store.transaction():
        # The state was read before the run; only this source's result writes it.
        first_success = state.last_success is None
        counts = store.save_items(source.id, result.items)
        found: list[Change] = []
        if job.kind.discovers and not first_success:
            found.extend(new_item_changes(source, list(counts.new_items)))
        for snapshot in result.snapshots:
            previous = store.latest_snapshot(source.id, snapshot.key)
            detected = detect_changes(source, previous, snapshot, since)
            found.extend(with_comparison(detected, previous, snapshot, files))
            store.save_snapshot(source.id, remembered(previous, snapshot))
        changes = store.save_changes(_classified(change, source) for change in found)
        store.save_validators(learnt)
        store.record_attempt(
            source.id,
            source.kind,
            source.url,
            None,
            resolved_url=result.resolved_url,
            new_items=counts.new,
            config_hash=config_hash(source),
            notes=None if result.not_modified else result.notes,
        )
    status = "not-modified" if result.not_modified else "ok"
    return SourceReport(
        source.id,
        status,
        counts,
        notes=result.notes,
        changes=tuple(changes),
        failures_before=state.consecutive_failures,
    )


def _classified(change: Change, source: SourceConfig) -> Change:
    return load_plugins().hook.classify_change(change=change, source=source) or change
