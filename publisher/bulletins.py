"""Monthly bulletins: that month's statutory changes, MI sheets and items, in sections.

Statutory updates come first, quoting the guidance's own change notes by page and
paragraph; then MI sheets published that month; then the sections configured in
feeds.yaml (``bulletin.sections``), each taking items from its sources or tags. The same
story from several sources appears once. An editorial file can add an introduction,
reorder sections, drop entries and add entries by hand.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from publisher.config import BulletinSection, Config
from publisher.config_schema import editorial_problems
from publisher.dates import UK
from publisher.editions import amended_wording
from publisher.errors import InputError
from publisher.models import Bulletin, Change, Entry, Notice, Section, StoredItem
from publisher.sanitise import clean_html, feed_summary_html, html_to_text
from publisher.store import Store
from publisher.text import shorten
from publisher.urls import safe_url
from publisher.yaml_files import YamlError, line_of, load_text_yaml

STATUTORY_SECTION = "Statutory updates"
MI_SECTION = "MI sheets"
CHANGE_LABELS = {
    "major": "Updated",
    "new": "New",
    "attachment": "Document replaced",
    "withdrawn": "Withdrawn",
}
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_)")


MAX_ENTRIES, MAX_QUOTES, MAX_QUOTE = 40, 20, 600
QUOTED_WORDING = 200  # characters of each amended paragraph a bulletin quotes


class BulletinError(InputError):
    """A bulletin that cannot be built or found, with the reason."""


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first moment of the month and of the next, in UK time."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise BulletinError(f"'{month}' is not a month like 2024-02") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime(first.year, first.month, 1, tzinfo=UK),
        datetime(following.year, following.month, 1, tzinfo=UK),
    )


def gather(config: Config, store: Store, month: str, editorial: dict | None = None) -> Bulletin:
    """Build the bulletin for ``month`` from what is stored."""
    start, end = month_bounds(month)
    if start > datetime.now(UK):
        raise BulletinError(f"{month} has not begun: a bulletin gathers a month that has")
    sources = {source.id: source for source in config.sources}
    sections = list(statutory_and_mi_sections(config, store, start, end))

    items = [item for item in reversed(store.items(since=start)) if _item_when(item) < end]
    placed = {item.id: _section_for(item, config.bulletin_sections) for item in items}
    for configured in config.bulletin_sections:
        entries = tuple(
            _item_entry(item, sources) for item in items if placed[item.id] is configured
        )
        sections.append(Section(configured.title, entries, configured.audiences))

    bulletin = Bulletin(
        month=month,
        title=f"{config.organisation.name}: safeguarding bulletin, {start:%B %Y}",
        sections=tuple(sections),
    )
    bulletin = apply_editorial(bulletin, editorial or {})
    return _within_limits(_without_duplicates(bulletin))


def statutory_and_mi_sections(
    config: Config, store: Store, start: datetime, end: datetime
) -> tuple[Section, Section]:
    """What statutory guidance changed, and which MI sheets were published, in [start, end):
    the first two sections of a bulletin, and all of a weekly digest."""
    sources = {source.id: source for source in config.sources}
    by_document: dict[tuple[str, str], list[Change]] = {}
    for change in store.changes(statutory=True):
        if change.kind in CHANGE_LABELS and start <= _when(change) < end:
            by_document.setdefault((change.source_id, change.key), []).append(change)
    statutory = [_document_entry(changes, sources) for changes in by_document.values()]
    notices = store.notices(status="published", published_from=start, published_before=end)
    return (
        Section(STATUTORY_SECTION, tuple(statutory)),
        Section(MI_SECTION, tuple(_notice_entry(notice) for notice in notices)),
    )


def _within_limits(bulletin: Bulletin) -> Bulletin:
    """No runaway email: at most MAX_ENTRIES entries a section (the rest behind an 'and N
    more' link to the web page), MAX_QUOTES quotes an entry, MAX_QUOTE characters a quote."""
    page = f"bulletins/{bulletin.month}/index.html"
    sections = []
    for section in bulletin.sections:
        entries = [_trimmed(entry) for entry in section.entries[:MAX_ENTRIES]]
        if len(section.entries) > MAX_ENTRIES:
            more = len(section.entries) - MAX_ENTRIES
            entries.append(
                Entry(title=f"and {more} more in {section.title} on the web page", url=page)
            )
        sections.append(replace(section, entries=tuple(entries)))
    return replace(bulletin, sections=tuple(sections))


def _trimmed(entry: Entry) -> Entry:
    quotes = [shorten(quote, MAX_QUOTE) for quote in entry.quotes[:MAX_QUOTES]]
    if len(entry.quotes) > MAX_QUOTES:
        quotes.append(f"and {len(entry.quotes) - MAX_QUOTES} more")
    return replace(entry, quotes=tuple(quotes))


def stored_bulletin(store: Store, month: str) -> Bulletin:
    """The bulletin built for ``month``."""
    bulletin = store.bulletin(month)
    if bulletin is None:
        raise BulletinError(
            f"no bulletin for {month} (run: publisher bulletin build --month {month})"
        )
    return bulletin


EDITORIAL_FILE = "editorial.yaml"
EDITORIAL_TEMPLATE = """\
# The editor's choices for this month's bulletin (YAML). Every field is optional.
# intro: a paragraph at the top of every edition.
intro: ""
# order: section titles in the order you want them; others follow.
order: []
# drop: the url or title of each entry to leave out.
drop: []
# add: entries of your own, e.g.
# - title: Training dates for DSLs
#   url: https://www.example.gov.uk/training
#   summary: Book by 31 March.
#   section: From the team
add: []
"""


def read_editorial(path: Path) -> dict:
    """An editorial YAML file: intro, order, drop, add."""
    return parse_editorial(path.read_text(encoding="utf-8"), str(path))


def parse_editorial(text: str, name: str = "the editorial") -> dict:
    """Editorial YAML (intro, order, drop, add) as a dict, checked like feeds.yaml: a
    problem is a ``BulletinError`` naming the file and line. Its fields are all text, so
    each value is read as typed ('12:30', '2024-02-29'), never as a number or date."""
    try:
        data = load_text_yaml(text, name) or {}
    except YamlError as error:
        where = f"{name} line {error.line}" if error.line else name
        raise BulletinError(f"{where}: not valid YAML: {error.message}") from None
    for keys, message in editorial_problems(data)[:1]:
        raise BulletinError(f"{name} line {line_of(data, keys) or 1}: {message}")
    for index, added in enumerate(data.get("add") or ()):
        if added.get("url") and not safe_url(added["url"], allow_mailto=True):
            line = line_of(data, ("add", index, "url"))
            raise BulletinError(f"{name} line {line}: url '{added['url']}' is not a web address")
    return data


def saved_editorial(data_dir: Path, month: str) -> Path:
    """Where the editorial of ``month`` is kept when written in the web app."""
    return Path(data_dir) / "bulletins" / month / EDITORIAL_FILE


def apply_editorial(bulletin: Bulletin, editorial: dict) -> Bulletin:
    """Merge the editor's choices: intro text, section order, entries dropped or added."""
    drop = {str(value) for value in editorial.get("drop") or ()}
    sections = {
        section.title: replace(
            section,
            entries=tuple(e for e in section.entries if e.url not in drop and e.title not in drop),
        )
        for section in bulletin.sections
    }
    for added in editorial.get("add") or ():
        title = str(added.get("section") or "From the team")
        entry = Entry(
            title=str(added["title"]),
            url=str(added.get("url") or ""),
            summary=clean_html(str(added.get("summary") or "")),
            source=str(added.get("source") or ""),
            label=str(added.get("label") or ""),
        )
        section = sections.get(title, Section(title, ()))
        sections[title] = replace(section, entries=(*section.entries, entry))
    order = [str(title) for title in editorial.get("order") or ()]
    unknown = [title for title in order if title not in sections]
    if unknown:
        raise BulletinError(f"the editorial order names unknown sections: {', '.join(unknown)}")
    ordered = [sections.pop(title) for title in order] + list(sections.values())
    return replace(
        bulletin, intro=str(editorial.get("intro") or bulletin.intro), sections=tuple(ordered)
    )


def canonical_url(url: str) -> str:
    """The same page whatever the feed's tracking parameters, host case or trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    return urlunsplit(("https", host, parts.path.rstrip("/") or "/", query, ""))


def _without_duplicates(bulletin: Bulletin) -> Bulletin:
    """Keep the first appearance of each story (statutory updates come first)."""
    seen: set[str] = set()
    sections = []
    for section in bulletin.sections:
        entries = []
        for entry in section.entries:
            keys = {canonical_url(entry.url)} if entry.url else set()
            keys.add(re.sub(r"\W+", " ", entry.title.lower()).strip())
            if keys & seen:
                continue
            seen |= keys
            entries.append(entry)
        sections.append(replace(section, entries=tuple(entries)))
    return replace(bulletin, sections=tuple(s for s in sections if s.entries))


def _section_for(item: StoredItem, sections: tuple[BulletinSection, ...]):
    """The first section whose tags the item carries, else the first listing its source."""
    tags = {tag.lower() for tag in item.tags}
    by_tag = (s for s in sections if tags & {tag.lower() for tag in s.tags})
    by_source = (s for s in sections if item.source_id in s.sources)
    return next(by_tag, None) or next(by_source, None)


def _item_when(item: StoredItem) -> datetime:
    return item.published or item.first_seen


def _when(change: Change) -> datetime:
    return change.changed_at or change.detected_at


def _document_entry(changes: list[Change], sources: dict) -> Entry:
    """One entry for a document that changed in the month, quoting every change note of the
    month, newest first, each dated when there are several."""
    changes = sorted(changes, key=_when, reverse=True)
    newest = changes[0]
    source = sources.get(newest.source_id)
    compared = next((c for c in changes if amended_wording(c)), None)
    if compared:  # the comparison says what the replaced file's own change would
        changes = [change for change in changes if change.kind != "attachment"]
    quotes: list[str] = []
    for change in changes:
        lines = amended_wording(change, limit=QUOTED_WORDING) or change.entries
        if not lines and len(changes) > 1:
            lines = (change.note or change.details,)
        dated = f"{_when(change).astimezone(UK):%-d %B %Y}: " if len(changes) > 1 else ""
        quotes.extend(f"{dated}{line}" for line in lines if line)
    summary = "" if quotes else clean_html(newest.note or newest.details)
    return Entry(
        title=newest.title,
        url=newest.url,
        summary=summary,
        source=source.title if source else newest.source_id,
        published=_when(newest).astimezone(UK).date().isoformat(),
        audiences=source.audiences if source else (),
        quotes=tuple(quotes),
        label=CHANGE_LABELS[newest.kind],
        comparison=comparison_page(compared) if compared else "",
    )


def comparison_page(change: Change) -> str:
    """Where the site puts the comparison of a change's replaced document."""
    return f"changes/{change.id}.html"


def _notice_entry(notice: Notice) -> Entry:
    return Entry(
        title=notice.title,
        url=f"mi/{notice.slug}.html",
        source="MI sheet",
        published=notice.published.date().isoformat() if notice.published else None,
        audiences=notice.audiences,
        label=notice.subject.split(":", 1)[0],
    )


def _item_entry(item: StoredItem, sources: dict) -> Entry:
    source = sources.get(item.source_id)
    return Entry(
        title=html_to_text(item.title),
        url=item.url,
        summary=feed_summary_html(item.summary),
        source=source.title if source else item.source_id,
        published=_item_when(item).astimezone(UK).date().isoformat(),
    )


def bulletin_context(config: Config, edition: Bulletin, audience_name: str) -> dict:
    """What the bulletin templates need, for one edition."""
    return {
        "bulletin": edition,
        "organisation": config.organisation,
        "audience_name": audience_name,
        "site_url": config.settings.site_url,
    }
