"""Change alerts for the LA team, sent once per change through a deliverer.

Each alert is claimed (its Message-ID stored with its changes) before it is sent and
marked sent afterwards, so a rerun after a crash resends exactly the interrupted message
with the same Message-ID, and never a change that was marked sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Config
from publisher.deliver import PermanentFailure, TemporaryFailure, open_deliverer
from publisher.messages import build_message, new_message_id, sender_address
from publisher.models import Change
from publisher.render import Renderer
from publisher.store import Store


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


def send_pending_alerts(config: Config, store: Store, data_dir: Path) -> list[SentAlert]:
    """Send every alertable change not yet alerted: interrupted alerts first, then new ones.

    An alert the deliverer could not send comes back with its ``error`` and stays pending.
    """
    groups: dict[str | None, list[Change]] = defaultdict(list)
    for change, message_id in store.pending_alerts():
        groups[message_id].append(change)
    if not groups:
        return []
    recipient = config.settings.alerts_to or config.organisation.name
    sender = sender_address(config.organisation)
    renderer = Renderer(config)
    deliverer = open_deliverer(config.settings.alerts_via, config, data_dir)
    sent = []
    try:
        for message_id, changes in groups.items():
            changes.sort(key=lambda change: (not change.statutory, change.id))
            message_id = message_id or new_message_id(sender)
            context = {"changes": changes, "organisation": config.organisation}
            text = renderer.render("email/alert.txt", **context)
            message = build_message(
                subject=alert_subject(changes),
                sender=sender,
                to=recipient,
                text=text,
                html=renderer.render_mjml("email/alert.mjml", **context),
                message_id=message_id,
            )
            ids = [change.id for change in changes]
            with store.transaction():
                store.claim_alert(ids, message_id)
            try:
                receipt = deliverer.send(message)
            except (TemporaryFailure, PermanentFailure) as error:
                # Left claimed and unsent: the next run sends it, with the same Message-ID.
                sent.append(SentAlert(tuple(changes), "", text, error=str(error)))
                continue
            with store.transaction():
                store.mark_alerted(ids)
            sent.append(SentAlert(tuple(changes), receipt, text))
    finally:
        deliverer.close()
    return sent
