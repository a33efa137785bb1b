"""A replaced attachment compared with the edition before it, and the change note checked
against the two: what a change carries when GOV.UK uploads a new PDF."""

from __future__ import annotations

from dataclasses import replace

from publisher.detect import attachment_changes
from publisher.documents import DocumentFiles
from publisher.errors import PublisherError
from publisher.models import Change, Snapshot


def with_comparison(
    changes: list[Change], previous: Snapshot | None, current: Snapshot, files: DocumentFiles
) -> list[Change]:
    """``changes`` (found for one document), the one a replaced PDF explains carrying the
    comparison: the newest change note when there is one (it is checked against the
    documents), else the attachment change."""
    if previous is None or not changes:
        return changes
    replaced, _, _ = attachment_changes(previous.attachments, current.attachments)
    kept = [(old, new) for old, new in replaced if files.has(old.url) and files.has(new.url)]
    if not kept:
        return changes
    old, new = max(kept, key=lambda pair: pair[1].pages or 0)  # the guidance, not an annex
    noted = [change for change in changes if change.kind == "major" and change.refs]
    target = noted[-1] if noted else next((c for c in changes if c.kind == "attachment"), None)
    if target is None:
        return changes
    comparison = compare_files(files, old.url, new.url, target.note if noted else "")
    return [
        replace(change, comparison=comparison) if change is target else change for change in changes
    ]


def compare_files(files: DocumentFiles, old_url: str, new_url: str, note: str) -> dict:
    """The comparison as stored with a change (``publisher.comparison`` JSON)."""
    from publisher.comparison import compare_files as compare_documents
    from publisher.comparison.crosscheck import cross_check

    try:
        comparison = compare_documents(
            files.read(old_url), files.read(new_url), _name(old_url), _name(new_url)
        )
    except PublisherError as error:
        return {"error": str(error), "old_url": old_url, "new_url": new_url}
    data = comparison.to_json() | {"old_url": old_url, "new_url": new_url}
    if note:
        data["cross_check"] = cross_check(note, comparison).to_json()
    return data


def _name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


MAX_QUOTED_PLACES = 20


def amended_wording(change: Change, limit: int = 600) -> list[str]:
    """'Paragraph 48 (page 26): <the new wording>' for each place the comparison of the
    change's replaced document found changed (none without a comparison)."""
    if not change.comparison or "error" in change.comparison:
        return []
    from publisher.comparison import Change as TextChange
    from publisher.comparison.report import quote

    found = change.comparison["changes"][:MAX_QUOTED_PLACES]
    return [quote(TextChange.from_json(text_change), limit) for text_change in found]


def note_check(change: Change) -> str:
    """One sentence on the change note against the documents, or '' when not checked."""
    check = (change.comparison or {}).get("cross_check")
    if not check:
        return ""
    statuses = [reference["status"] for reference in check["references"]]
    located = [status for status in statuses if status != "no place given"]
    sentence = (
        f"The documents confirm {statuses.count('confirmed')} of the note's "
        f"{len(located)} page or paragraph references"
    )
    missing = statuses.count("not found")
    if missing:
        sentence += f"; {missing} not found where the note says"
    unmentioned = len(check["unmentioned"])
    if unmentioned:
        sentence += f"; {unmentioned} changed place{'s' if unmentioned > 1 else ''} not in the note"
    return sentence + "."
