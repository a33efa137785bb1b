"""Statutory guidance changes told to the schools that asked to hear immediately: one email
per change to the immediate subscribers of the source's audiences, through the send log
(so once each), for changes detected in the last few days (a new subscriber is not sent
the history)."""

from __future__ import annotations

from datetime import timedelta

from publisher.bulletins import comparison_page
from publisher.config import Config
from publisher.dates import utcnow
from publisher.models import Change
from publisher.render import Renderer
from publisher.sending import Letter, SendReport, recipient_tokens, send_letters
from publisher.store import Store
from publisher.subscribers import Subscriber

TOLD_KINDS = ("major", "new", "withdrawn")
RECENT = timedelta(days=3)


def school_alert_letters(
    renderer: Renderer, config: Config, store: Store
) -> list[tuple[Letter, list[Subscriber]]]:
    if not config.settings.school_alerts:
        return []
    sources = {source.id: source for source in config.sources}
    letters = []
    for change in store.changes(statutory=True, since=utcnow() - RECENT, kinds=TOLD_KINDS):
        source = sources.get(change.source_id)
        readers = store.subscribers(source.audiences if source else None, "immediately")
        if readers:
            letters.append((school_alert_letter(renderer, config, change), readers))
    return letters


def school_alert_letter(renderer: Renderer, config: Config, change: Change) -> Letter:
    context = {
        "change": change,
        "organisation": config.organisation,
        "site_url": config.settings.site_url,
        "comparison": comparison_page(change) if change.comparison else None,
        "recipient": recipient_tokens(),
    }
    return Letter(
        key=f"guidance/{change.id}",
        subject=f"Statutory guidance changed: {change.title}",
        text=renderer.render("email/guidance_change.txt", **context),
        html=renderer.render_mjml("email/guidance_change.mjml", **context),
    )


def tell_schools(config: Config, store: Store, data_dir) -> SendReport | None:
    """Send what is due (None when nothing is: no deliverer is opened)."""
    letters = school_alert_letters(Renderer(config), config, store)
    return send_letters(config, store, letters, data_dir) if letters else None
