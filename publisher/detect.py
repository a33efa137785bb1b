"""Detection rules: compare a document's new snapshot with its last stored version.

- The first sight of a document is a baseline: no changes.
- A new change-history entry (a date and time not seen before) is a *major* change carrying
  its note and references. A note GOV.UK rewords later keeps its date: it is not news
  again, nor is a known note whose date GOV.UK corrects; but entries a known note gains
  (a new line, a new page) are news (``new_notes``). Notes are remembered even when a
  response leaves them out (``remembered``), so a history that vanishes for one run does
  not come back as news.
- ``public_updated_at``, the title or the body moving without a new note is *minor*
  (recorded, never alerted). On a page without change notes, a text change is *major*.
- An attachment added, removed or replaced (url, size or page count) is an *attachment* change.
- Withdrawn, or gone (HTTP 410), is *withdrawn*.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime

from publisher.config import SourceConfig
from publisher.models import Attachment, Change, ChangeNote, Item, Snapshot
from publisher.refs import parse_note, split_entries
from publisher.text import plural

STATUTORY_DOCUMENT_TYPES = {"statutory_guidance"}
MAX_DIFF_LINES = 60
REWORDED = 0.8  # how alike two entries of a note must be to be one entry reworded
MAX_COMPARISONS = 250_000  # entries compared for rewording, new against known
_PUNCTUATION = re.compile(r"[^\w\s]")


def is_statutory(source: SourceConfig, document_type: str | None) -> bool:
    return source.statutory or document_type in STATUTORY_DOCUMENT_TYPES


def detect_changes(
    source: SourceConfig,
    previous: Snapshot | None,
    current: Snapshot,
    since: datetime | None = None,
) -> list[Change]:
    """The changes between two states of one document, oldest first. The first sight of a
    document is a baseline, unless ``since`` is given: then its change notes after ``since``
    count as new (``check --since``, after a lost database)."""
    if previous is None:
        if since is None:
            return []
        earlier = tuple(entry for entry in current.change_history if entry.timestamp < since)
        previous = replace(current, change_history=earlier, public_updated_at=None)

    def change(kind: str, note: str = "", details: str = "", changed_at=None) -> Change:
        return Change(
            source_id=source.id,
            key=current.key,
            url=current.url,
            title=current.title or previous.title,
            kind=kind,
            statutory=is_statutory(source, current.document_type or previous.document_type),
            note=note,
            refs=tuple(parse_note(note)) if kind == "major" and note else (),
            details=details,
            changed_at=changed_at,
        )

    if current.withdrawn:
        # Once withdrawn or gone, what is left of the page is not news.
        return [] if previous.withdrawn else [change("withdrawn", note=current.withdrawn)]
    if previous.withdrawn and not current.withdrawn and not previous.change_history:
        return []  # back after HTTP 410: nothing to compare with, so a new baseline

    changes = [
        change("major", note=note, changed_at=when)
        for when, note in new_notes(previous.change_history, current.change_history)
    ]

    attachment_changes = describe_attachment_changes(previous.attachments, current.attachments)
    if attachment_changes:
        changes.append(
            change(
                "attachment",
                details="\n".join(attachment_changes),
                changed_at=current.public_updated_at,
            )
        )

    body_moved = current.body_hash != previous.body_hash
    noted = bool(changes)
    if not noted and body_moved and not current.notes_expected:
        diff = text_diff(previous.body_text or "", current.body_text or "")
        changes.append(change("major", note=summarise_diff(diff), details=diff))
    elif not noted and (
        body_moved
        or current.public_updated_at != previous.public_updated_at
        or current.title != previous.title
    ):
        changes.append(
            change(
                "minor",
                details=_minor_details(previous, current),
                changed_at=current.public_updated_at,
            )
        )
    return changes


def new_notes(
    known: tuple[ChangeNote, ...], listed: tuple[ChangeNote, ...]
) -> list[tuple[datetime, str]]:
    """(when, note) for what is news in ``listed``, oldest first: the entries of its notes
    (lines, clauses, sentences: ``refs.split_entries``) that no known entry accounts for
    (``_unaccounted``). A note whose entries are all new is news as written."""
    entries = [
        (note, text, said)
        for note in listed
        for text in split_entries(note.note)
        if (said := _said(text))
    ]
    pool = [(note.timestamp, _said(text)) for note in known for text in split_entries(note.note)]
    news: dict[ChangeNote, list[str]] = {}
    for index in _unaccounted([(note.timestamp, said) for note, _, said in entries], pool):
        note, text, _ = entries[index]
        news.setdefault(note, []).append(text)
    entry_counts = Counter(note for note, _, _ in entries)
    return [
        (
            note.timestamp,
            note.note.strip() if len(texts) == entry_counts[note] else "\n".join(texts),
        )
        for note, texts in sorted(news.items(), key=lambda pair: pair[0].timestamp)
    ]


def _unaccounted(listed: list[tuple], pool: list[tuple]) -> list[int]:
    """The indexes of the (date, words) entries of ``listed`` that no entry of ``pool``
    accounts for. Each accounts for one: first the same words under the same date, then
    the same words under any date (a note GOV.UK re-dated, merged into another or split),
    then the most alike, at least REWORDED (a typo mended). So a line added in the words of
    another, or a note repeating an older one ('Updated guidance.'), is news."""
    pool = list(pool)
    unmatched = set(range(len(listed)))
    for same_date in (True, False):
        for index in sorted(unmatched):
            when, words = listed[index]
            found = next(
                (
                    entry
                    for entry in pool
                    if entry[1] == words and (entry[0] == when or not same_date)
                ),
                None,
            )
            if found is not None:
                pool.remove(found)
                unmatched.discard(index)
    if len(unmatched) * len(pool) > MAX_COMPARISONS:  # a history no page has: no rewording
        return sorted(unmatched)
    alike = sorted(
        (
            (_likeness(listed[index][1], entry[1]), index, entry)
            for index in unmatched
            for entry in pool
        ),
        reverse=True,
    )
    for likeness, index, entry in alike:
        if likeness >= REWORDED and index in unmatched and entry in pool:
            pool.remove(entry)
            unmatched.discard(index)
    return sorted(unmatched)


def _said(note: str) -> str:
    """A note's words, whatever the case, spacing and punctuation."""
    return " ".join(_PUNCTUATION.sub(" ", note).casefold().split())


def _likeness(one: str, other: str) -> float:
    matcher = difflib.SequenceMatcher(None, one, other)
    if matcher.real_quick_ratio() < REWORDED or matcher.quick_ratio() < REWORDED:
        return 0.0  # cheap bounds first: most pairs are nothing alike
    return matcher.ratio()


def remembered(previous: Snapshot | None, current: Snapshot) -> Snapshot:
    """What to store of ``current``: as it is, unless its change history is empty where
    ``previous`` had one. A response without the history (missing, null, not a list) is
    incomplete: the notes already seen are kept, so they are not news next time."""
    if previous is None or current.change_history or not previous.change_history:
        return current
    return replace(current, change_history=previous.change_history)


def new_item_changes(source: SourceConfig, items: list[Item]) -> list[Change]:
    """Documents a discovery source (e.g. a GOV.UK search) has not listed before."""
    return [
        Change(
            source_id=source.id,
            key=item.key,
            url=item.url,
            title=item.title,
            kind="new",
            statutory=is_statutory(source, item.document_type),
            note=item.summary,
            changed_at=item.published,
        )
        for item in items
    ]


def attachment_changes(
    before: tuple[Attachment, ...], after: tuple[Attachment, ...]
) -> tuple[list[tuple[Attachment, Attachment]], list[Attachment], list[Attachment]]:
    """(replaced as (old, new) pairs, added, removed). A new upload gets a new address, so
    a removed and an added file with one title are a replacement too."""
    old_by_url = {attachment.url: attachment for attachment in before}
    new_by_url = {attachment.url: attachment for attachment in after}
    replaced = [
        (old_by_url[url], attachment)
        for url, attachment in new_by_url.items()
        if url in old_by_url
        and (old_by_url[url].file_size, old_by_url[url].pages)
        != (attachment.file_size, attachment.pages)
    ]
    removed_by_title = {a.title: a for url, a in old_by_url.items() if url not in new_by_url}
    added = []
    for url, attachment in new_by_url.items():
        if url in old_by_url:
            continue
        old = removed_by_title.pop(attachment.title, None)
        if old:
            replaced.append((old, attachment))
        else:
            added.append(attachment)
    return replaced, added, list(removed_by_title.values())


def describe_attachment_changes(
    before: tuple[Attachment, ...], after: tuple[Attachment, ...]
) -> list[str]:
    """Lines like 'Replaced: X (48 pages) -> X (52 pages)', 'Added: Y', 'Removed: Z'."""
    replaced, added, removed = attachment_changes(before, after)
    return (
        [f"Replaced: {old.describe()} -> {new.describe()}" for old, new in replaced]
        + [f"Added: {attachment.describe()}" for attachment in added]
        + [f"Removed: {attachment.describe()}" for attachment in removed]
    )


def text_diff(before: str, after: str) -> str:
    """A readable line diff ('-' removed, '+' added), capped in length."""
    lines = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
        if not line.startswith(("---", "+++"))
    ]
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more lines)"]
    return "\n".join(lines)


def summarise_diff(diff: str) -> str:
    lines = diff.splitlines()
    added = sum(line.startswith("+") for line in lines)
    removed = sum(line.startswith("-") for line in lines)
    return f"Page text changed: {plural(added, 'line')} added, {removed} removed."


def _minor_details(previous: Snapshot, current: Snapshot) -> str:
    moved = []
    if current.title != previous.title:
        moved.append(f"title: {previous.title!r} -> {current.title!r}")
    if current.public_updated_at != previous.public_updated_at:
        moved.append("public_updated_at moved without a change note")
    if current.body_hash != previous.body_hash:
        moved.append("body edited")
    return "; ".join(moved)
