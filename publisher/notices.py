"""MI sheets (Management Information Sheets): draft -> approved -> published, then frozen.

A sheet is numbered ``n/yy`` when it is published, in sequence within its publication
year; numbers come from a counter that never goes back, so none is ever reused. The
deadline ("to be completed by") is a number of working days after publication or a date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import yaml

from publisher.config import Config, ConfigError, holds_values, load_yaml
from publisher.dates import UK, parse_day
from publisher.deadlines import add_working_days
from publisher.editions import amended_wording, note_check
from publisher.errors import InputError
from publisher.models import Change, Notice
from publisher.store import Store

STATUSES = ("draft", "approved", "published")
MAX_WORKING_DAYS = 60
MARKDOWN_HINT = (
    "# The body below the next line is Markdown: ## Heading, - list item, **bold**,\n"
    "# [link text](https://...). HTML is shown as typed, never run.\n"
)


class NoticeError(InputError):
    """Something a user asked of a sheet that cannot be done, with the reason."""


def deadline_for(due: str | None, published: datetime) -> date | None:
    """The 'to be completed by' date: ``due`` working days after publication, or a date."""
    if not due:
        return None
    if str(due).isdigit():
        return add_working_days(published.astimezone(UK).date(), int(due))
    return date.fromisoformat(str(due))


def validate_due(due: str | None) -> str | None:
    """A due value: working days ('7') or a date (2024-01-12 or 12/01/2024, kept as ISO)."""
    if due is None or str(due).isdigit():
        return due
    try:
        return parse_day(str(due)).isoformat()
    except ValueError:
        raise NoticeError(
            f"due '{due}' is neither a number of working days nor a date like 12/01/2024"
        ) from None


def parse_datetime(text: str) -> datetime:
    """'2024-01-03 10:00' or '2024-01-03T10:00:00': UK local time unless an offset is given."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise NoticeError(f"'{text}' is not a date and time like 2024-01-03 10:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UK)


def to_markdown(notice: Notice) -> str:
    """The editable form of a sheet: its fields as YAML front matter, then the body."""
    fields = {
        "title": notice.title,
        "type": notice.type,
        "due": int(notice.due) if notice.due and notice.due.isdigit() else notice.due,
        "contact": notice.contact,
        "audiences": list(notice.audiences),
        "replaces": notice.replaces,
    }
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    return f"---\n{front}{MARKDOWN_HINT}---\n{notice.body.strip()}\n"


def from_markdown(text: str, base: Notice) -> Notice:
    """Apply an edited markdown file (front matter + body) to a sheet."""
    if not text.startswith("---"):
        return replace(base, body=text.strip())
    try:
        _, front, body = text.split("---", 2)
    except ValueError:
        raise NoticeError("the front matter needs a closing '---' line") from None
    try:
        fields = load_yaml(front, "the front matter") or {}  # its lines are the file's
    except ConfigError as error:
        where = f"line {error.line}: " if error.line else ""
        raise NoticeError(f"{where}the front matter is not valid YAML: {error.message}") from None
    if not isinstance(fields, dict):
        raise NoticeError("the front matter must be 'field: value' lines")
    audiences = fields.get("audiences", base.audiences) or ()
    if not isinstance(audiences, list | tuple):
        audiences = [audiences]
    if any(holds_values(audience) for audience in audiences):
        raise NoticeError("the front matter's 'audiences' must be a list of audience ids")
    due = _one_value(fields, "due", base.due)
    replaces = _one_value(fields, "replaces", base.replaces)
    return replace(
        base,
        title=str(_one_value(fields, "title", base.title)),
        type=str(_one_value(fields, "type", base.type)),
        due=validate_due(None if due is None else str(due)),
        contact=str(_one_value(fields, "contact", base.contact)),
        audiences=tuple(audiences),
        replaces=None if replaces is None else str(replaces),
        body=body.strip(),
    )


def _one_value(fields: dict, name: str, default: object) -> object:
    value = fields.get(name, default)
    if holds_values(value):
        raise NoticeError(f"the front matter's '{name}' must be one value, not a list or mapping")
    return value


def notice_context(config: Config, notice: Notice) -> dict:
    return {
        "notice": notice,
        "organisation": config.organisation,
        "audience_names": [
            config.audiences.get(audience, audience) for audience in notice.audiences
        ],
    }


def find(store: Store, reference: str) -> Notice:
    """A sheet by number ('1/24') or id ('3' or '#3')."""
    notice = store.notice(reference.lstrip("#"))
    if notice is None:
        raise NoticeError(f"no MI sheet '{reference}' (give its number like 1/24, or its id)")
    return notice


def check_editable(notice: Notice) -> None:
    if notice.status == "published":
        raise NoticeError(
            f"{notice.label} is published and frozen; issue a correction with "
            f"'publisher mi new --replaces {notice.number}'"
        )


def edit(store: Store, notice: Notice, edited: Notice) -> Notice:
    """Save an edited sheet (see ``from_markdown``); an approved sheet goes back to draft."""
    check_editable(notice)
    edited = replace(edited, status="draft")
    with store.transaction():
        store.save_notice(edited)
    return edited


def approve(store: Store, notice: Notice) -> Notice:
    if notice.status != "draft":
        raise NoticeError(f"{notice.label} is {notice.status}, not a draft")
    if not notice.audiences:
        raise NoticeError(
            f"{notice.label} has no audience, so nobody would receive it: add one "
            f"('publisher mi edit {notice.id}', audiences: [dsls])"
        )
    approved = replace(notice, status="approved")
    with store.transaction():
        store.save_notice(approved)
    return approved


def publish(store: Store, notice: Notice, at: datetime, force: bool = False) -> Notice:
    """Number the sheet, fix its deadline and freeze it: all in one transaction.

    Refused: a deadline before publication, a publication time earlier than the last sheet
    of the year (numbers follow publication order); without ``force``, a deadline of 0 or
    more than MAX_WORKING_DAYS working days (a typo more often than a plan)."""
    if notice.status == "published":
        raise NoticeError(f"{notice.label} is published already (on {notice.published:%d/%m/%Y})")
    if notice.status != "approved":
        raise NoticeError(
            f"{notice.label} is a draft; approve it first ('publisher mi approve {notice.id}')"
        )
    at = at.astimezone(UK)
    deadline = deadline_for(notice.due, at)
    if deadline is not None and deadline < at.date():
        raise NoticeError(
            f"the deadline {deadline:%d/%m/%Y} is before publication ({at:%d/%m/%Y}): fix 'due'"
        )
    if not force and notice.due is not None and notice.due.isdigit():
        days = int(notice.due)
        if days == 0 or days > MAX_WORKING_DAYS:
            raise NoticeError(
                f"due {days} working days ({deadline:%d/%m/%Y}) looks like a typo: "
                f"use --force if it is meant"
            )
    next_year = datetime(at.year + 1, 1, 1, tzinfo=UK)
    later = store.notices(status="published", published_from=at, published_before=next_year)
    if later:
        raise NoticeError(
            f"{later[-1].label} was published later ({later[-1].published:%d/%m/%Y %H:%M}): "
            "a sheet back-dated before it would be numbered out of order"
        )
    with store.transaction():
        sequence = store.next_notice_number(at.year)
        published = replace(
            notice,
            status="published",
            number=f"{sequence}/{at:%y}",
            published=at,
            deadline=deadline,
        )
        store.save_notice(published)
    return published


def delete(store: Store, notice: Notice) -> None:
    if notice.status == "published":
        raise NoticeError(f"{notice.label} is published and cannot be deleted")
    with store.transaction():
        store.delete_notice(notice.id)


def check_fields(config: Config, notice: Notice) -> None:
    """A sheet's type and audiences must be the ones feeds.yaml names."""
    if notice.type not in config.settings.mi_types:
        raise NoticeError(
            f"type '{notice.type}' is not one of {', '.join(config.settings.mi_types)}"
        )
    unknown = [audience for audience in notice.audiences if audience not in config.audiences]
    if unknown:
        raise NoticeError(
            f"unknown audience {', '.join(unknown)} (known: {', '.join(config.audiences)})"
        )


def new_draft(
    config: Config,
    store: Store,
    *,
    title: str | None = None,
    change_id: int | None = None,
    replaces: str | None = None,
    **fields,
) -> Notice:
    """Create a draft, blank (``title``) or from a detected change, with ``fields``
    (type, due, audiences, contact, body) given by the user overriding the defaults."""
    draft = Notice(type="Action", title=title or "", contact=config.organisation.contact)
    if change_id is not None:
        change = store.change(change_id)
        if change is None:
            raise NoticeError(f"no change with id {change_id} (see: publisher changes)")
        draft = draft_from_change(config, change)
    if not (title or draft.title):
        raise NoticeError("give a title, or a change id to start from")
    if replaces and find(store, replaces).status != "published":
        raise NoticeError(f"{replaces} is not a published sheet, so it cannot be replaced")
    if fields.get("due"):
        fields["due"] = validate_due(fields["due"])
    given = {name: value for name, value in fields.items() if value}
    draft = replace(draft, title=title or draft.title, replaces=replaces, **given)
    check_fields(config, draft)
    with store.transaction():
        return store.add_notice(draft)


def draft_for_changes(config: Config, store: Store, changes: list[Change]) -> list[Notice]:
    """Draft a sheet for each statutory major change, once per change however often asked."""
    with store.transaction():
        return [
            store.add_notice(draft_from_change(config, change))
            for change in changes
            if change.statutory
            and change.kind == "major"
            and not store.notices_for_change(change.id)
        ]


def draft_from_change(config: Config, change: Change) -> Notice:
    """A draft sheet that quotes a detected change, for the team to finish."""
    source = next((s for s in config.sources if s.id == change.source_id), None)
    when = f" on {change.changed_at.astimezone(UK):%d %B %Y}" if change.changed_at else ""
    if wording := amended_wording(change):
        changes = "\n".join(f"- {line}" for line in wording)
        if check := note_check(change):
            changes += f"\n\n{check}"
    elif change.refs:
        changes = "\n".join(f"- {entry}" for entry in change.entries)
    else:
        changes = change.note or change.details
    body = (
        f"## Summary\n\n{change.title} was updated{when}.\n\n"
        f"## Key changes\n\n{changes}\n\n"
        f"## Next steps\n\n- Read the updated guidance: <{change.url}>\n"
        "- Brief relevant staff and update your policies.\n"
    )
    return Notice(
        type="Action" if change.statutory else "Information",
        title=f"{change.title}: updated guidance",
        contact=config.organisation.contact,
        body=body,
        audiences=source.audiences if source else (),
        change_id=change.id,
    )
