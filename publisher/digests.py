"""Weekly digests: each weekly-digest subscriber gets one email on the Monday after a week
with the statutory changes and MI sheets of their audiences published in it. Weeks do not
overlap, so nothing is in two digests; the send log makes each digest go once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from publisher.bulletins import Bulletin, statutory_and_mi_sections
from publisher.config import Config
from publisher.dates import UK
from publisher.letters import bulletin_letters
from publisher.render import Renderer
from publisher.sending import Letter
from publisher.store import Store
from publisher.subscribers import Subscriber


def digest_week(today: date) -> tuple[datetime, datetime]:
    """The last whole week (Monday to Monday, UK time) before ``today``."""
    monday = today - timedelta(days=today.weekday())
    end = datetime(monday.year, monday.month, monday.day, tzinfo=UK)
    return end - timedelta(days=7), end


def gather_digest(config: Config, store: Store, start: datetime, end: datetime) -> Bulletin:
    last_day = end - timedelta(days=1)
    return Bulletin(
        month=f"{start:%G-W%V}",
        title=(
            f"{config.organisation.name}: weekly digest, {start:%-d %B} to {last_day:%-d %B %Y}"
        ),
        sections=tuple(
            s for s in statutory_and_mi_sections(config, store, start, end) if s.entries
        ),
    )


def digest_letters(
    renderer: Renderer, config: Config, store: Store, today: date
) -> list[tuple[Letter, list[Subscriber]]]:
    """Last week's digest for each combination of audiences among weekly readers (none
    when the week brought nothing for them)."""
    digest = gather_digest(config, store, *digest_week(today))
    readers = store.subscribers(frequency="weekly")
    return bulletin_letters(renderer, config, digest, readers, key=f"digest/{digest.month}")
