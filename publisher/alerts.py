"""Change alerts for the LA team, sent once per change through the send log.

Changes not yet alerted are gathered into a batch with one atomic claim (two processes
never put one change in two batches); each batch is one message to ``settings.alerts_to``,
sent through the same send log as MI sheets and bulletins, so any number of ``check`` and
``send --alerts`` runs at once send it once, and a rerun after a crash sends exactly the
interrupted one with the same Message-ID. A batch the server refuses is tried again on the
next run; its changes are marked alerted only once it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from publisher.config import Config
from publisher.models import Change
from publisher.render import Renderer
from publisher.sending import Letter, send_letters
from publisher.store import Store
from publisher.subscribers import Subscriber


@dataclass(frozen=True)
class SentAlert:
    changes: tuple[Change, ...]
    receipt: str  # what the deliverer returned: a path, a server id
    text: str
    error: str | None = None  # not delivered: why (the next run tries again)


def alert_subject(changes: list[Change]) -> str:
    first = changes[0]
    label = "Statutory guidance changed" if first.statutory else "Watched page changed"
    more = f" (+{len(changes) - 1} more)" if len(changes) > 1 else ""
    return f"{label}: {first.title}{more}"


def alert_letter(renderer: Renderer, config: Config, batch: str, changes: list[Change]) -> Letter:
    changes = sorted(changes, key=lambda change: (not change.statutory, change.id))
    context = {"changes": changes, "organisation": config.organisation}
    return Letter(
        key=f"alert/{batch}",
        subject=alert_subject(changes),
        text=renderer.render("email/alert.txt", **context),
        html=renderer.render_mjml("email/alert.mjml", **context),
        for_list=False,
    )


def send_pending_alerts(
    config: Config, store: Store, data_dir: Path, dry_run: bool = False
) -> list[SentAlert]:
    """Send every alert not yet sent; return what this run sent or could not send
    (batches another process is sending at the same moment are left to it)."""
    with store.transaction():
        batches = store.alert_batches()
    if not batches:
        return []
    recipient = Subscriber(config.settings.alerts_to or config.organisation.email or "")
    renderer = Renderer(config)
    outcomes = []
    for batch, changes in batches.items():
        letter = alert_letter(renderer, config, batch, changes)
        if dry_run:
            outcomes.append(SentAlert(tuple(changes), "", letter.text, error="dry run"))
            continue
        report = send_letters(
            config,
            store,
            [(letter, [recipient])],
            data_dir,
            via=config.settings.alerts_via,
            retry_failed=True,
        )
        if report.sent or report.already_sent:
            with store.transaction():
                store.mark_alerted(batch)
        if report.sent:
            [row] = store.deliveries(letter.key, channel=report.via, statuses=["sent"])
            outcomes.append(SentAlert(tuple(changes), row.receipt, letter.text))
        elif problems := report.failed + report.deferred:
            outcomes.append(SentAlert(tuple(changes), "", letter.text, error=problems[0][1]))
    return outcomes
