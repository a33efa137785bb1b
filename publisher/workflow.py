"""Team actions with who did them: drafting, approving (four eyes), publishing and
sending MI sheets, and handling detected changes. Each is recorded in the audit log.

The web app calls these; they call the same core functions as the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from publisher import audit, bulletins, notices, sheet_files
from publisher.config import Config
from publisher.dates import to_iso, utcnow
from publisher.letters import bulletin_letters, letters_for_notice
from publisher.models import Change, Delivery, Notice
from publisher.render import Renderer
from publisher.sending import SendReport, send_letters
from publisher.store import Store
from publisher.users import User


@dataclass(frozen=True)
class InboxEntry:
    change: Change
    handled_by: str | None
    drafts: tuple[Notice, ...]


def inbox(store: Store, include_handled: bool = False) -> list[InboxEntry]:
    """Detected changes worth a look (not minor), statutory first, newest first."""
    handled = {
        row["id"]: row["handled_by"]
        for row in store.db.execute(
            "SELECT id, handled_by FROM changes WHERE handled_at IS NOT NULL"
        )
    }
    entries = [
        InboxEntry(change, handled.get(change.id), tuple(store.notices_for_change(change.id)))
        for change in store.changes()
        if change.kind != "minor" and (include_handled or change.id not in handled)
    ]
    entries.sort(key=lambda entry: entry.change.id, reverse=True)
    entries.sort(key=lambda entry: not entry.change.statutory)
    return entries


def mark_handled(store: Store, actor: User, change_id: int) -> None:
    with store.transaction():
        store.db.execute(
            "UPDATE changes SET handled_at = ?, handled_by = ? WHERE id = ?",
            (to_iso(utcnow()), actor.email, change_id),
        )
        audit.record(store, actor.email, "marked change handled", f"change #{change_id}")


def draft(config: Config, store: Store, actor: User, **fields) -> Notice:
    """A new draft (see ``notices.new_draft``), remembered as ``actor``'s."""
    created = notices.new_draft(config, store, **fields)
    _drafted(store, actor, created)
    return created


def draft_from_change(
    config: Config, store: Store, actor: User, change_id: int
) -> tuple[Notice, bool]:
    """The sheet being drafted from a change, or a new one as ``actor``'s (see
    ``notices.draft_for_change``): (the sheet, whether it is new)."""
    notice, created = notices.draft_for_change(config, store, change_id)
    if created:
        _drafted(store, actor, notice)
    return notice, created


def _drafted(store: Store, actor: User, created: Notice) -> None:
    with store.transaction():
        store.db.execute(
            "UPDATE notices SET drafted_by = ? WHERE id = ?", (actor.email, created.id)
        )
        audit.record(store, actor.email, "drafted MI sheet", f"#{created.id} {created.title}")


def save_draft(config: Config, store: Store, actor: User, notice: Notice, text: str) -> Notice:
    """Apply an edited markdown sheet (front matter + body) to a draft."""
    notices.check_editable(notice)
    edited = sheet_files.from_markdown(text, notice)
    notices.check_fields(config, edited)
    edited = notices.edit(store, notice, edited)
    with store.transaction():
        audit.record(store, actor.email, "edited MI sheet", f"#{edited.id} {edited.title}")
    return edited


def drafted_by(store: Store, notice: Notice) -> str | None:
    row = store.db.execute("SELECT drafted_by FROM notices WHERE id = ?", (notice.id,)).fetchone()
    return row["drafted_by"] if row else None


def approve(store: Store, actor: User, notice: Notice, four_eyes: bool = True) -> Notice:
    """Approve a draft. With ``four_eyes`` (the default), never one's own draft."""
    if not actor.can("approver"):
        raise notices.NoticeError("only approvers can approve MI sheets")
    if four_eyes and drafted_by(store, notice) == actor.email:
        raise notices.NoticeError(
            "you drafted this sheet, so another approver must approve it (four eyes)"
        )
    approved = notices.approve(store, notice)
    with store.transaction():
        store.db.execute(
            "UPDATE notices SET approved_by = ? WHERE id = ?", (actor.email, notice.id)
        )
        audit.record(store, actor.email, "approved MI sheet", f"#{notice.id} {notice.title}")
    return approved


def publish(store: Store, actor: User, notice: Notice) -> Notice:
    if not actor.can("approver"):
        raise notices.NoticeError("only approvers can publish MI sheets")
    published = notices.publish(store, notice, utcnow())
    with store.transaction():
        audit.record(store, actor.email, "published MI sheet", published.subject)
    return published


def recipients_by_audience(config: Config, store: Store, notice: Notice) -> dict[str, int]:
    """How many subscribers each of the sheet's audiences would reach (a dry run)."""
    return {
        config.audiences.get(audience, audience): len(
            store.subscribers([audience], frequency="immediately")
        )
        for audience in notice.audiences
    }


def send(
    config: Config,
    store: Store,
    actor: User,
    notice: Notice,
    data_dir: Path,
    retry_failed: bool = False,
) -> SendReport:
    """Send a published sheet to its audiences through the send log (exactly once);
    ``retry_failed`` tries again the recipients an earlier send failed for good."""
    if not actor.can("approver"):
        raise notices.NoticeError("only approvers can send MI sheets")
    letters = letters_for_notice(Renderer(config), config, store, notice)
    report = send_letters(config, store, letters, data_dir, retry_failed=retry_failed)
    with store.transaction():
        audit.record(
            store,
            actor.email,
            "sent MI sheet",
            notice.subject,
            f"{len(report.sent)} sent, {len(report.failed)} failed",
        )
    return report


def send_log(store: Store, notice: Notice) -> list[Delivery]:
    """Each recipient of a sheet with its status (sent, failed with reason, pending)."""
    return store.deliveries(f"mi/{notice.number}")


def editorial_text(data_dir: Path, month: str) -> str:
    """The month's editorial as last saved in the web app, or a commented template."""
    path = bulletins.saved_editorial(data_dir, month)
    return path.read_text(encoding="utf-8") if path.exists() else bulletins.EDITORIAL_TEMPLATE


def preview_bulletin(config: Config, store: Store, month: str, text: str) -> bulletins.Bulletin:
    """The month's bulletin with this editorial, not stored."""
    return bulletins.gather(config, store, month, bulletins.parse_editorial(text))


def preview_edition(
    config: Config, store: Store, month: str, text: str, audience: str
) -> tuple[bulletins.Bulletin, str]:
    """One audience's edition of the month's bulletin with this editorial, and its
    plain-text email."""
    edition = preview_bulletin(config, store, month, text).for_audience(audience)
    context = bulletins.bulletin_context(config, edition, config.audiences.get(audience, ""))
    return edition, Renderer(config).render("email/bulletin.txt", **context)


def save_bulletin(
    config: Config, store: Store, actor: User, data_dir: Path, month: str, text: str
) -> bulletins.Bulletin:
    """Keep the editorial, build the month's bulletin with it and store it (as
    ``publisher bulletin build --month`` does, which then uses the same editorial)."""
    built = preview_bulletin(config, store, month, text)
    path = bulletins.saved_editorial(data_dir, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with store.transaction():
        store.save_bulletin(built)
        audit.record(store, actor.email, "built bulletin", month, f"{built.entry_count} entries")
    return built


def send_bulletin(
    config: Config, store: Store, actor: User, data_dir: Path, month: str
) -> SendReport:
    """Send the stored bulletin of ``month`` to every subscriber (exactly once each)."""
    if not actor.can("approver"):
        raise notices.NoticeError("only approvers can send bulletins")
    built = bulletins.stored_bulletin(store, month)
    letters = bulletin_letters(Renderer(config), config, built, store.subscribers())
    report = send_letters(config, store, letters, data_dir)
    with store.transaction():
        audit.record(
            store,
            actor.email,
            "sent bulletin",
            month,
            f"{len(report.sent)} sent, {len(report.failed)} failed",
        )
    return report
