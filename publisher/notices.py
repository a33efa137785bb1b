"""MI sheets (Management Information Sheets): draft -> approved -> published, then frozen.

A sheet is numbered ``n/yy`` when it is published, in sequence within its publication
year; numbers come from a counter that never goes back, so none is ever reused. The
deadline ("to be completed by") is a number of working days after publication or a date.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from publisher.config import Config
from publisher.dates import UK, parse_day, uk_today, utcnow
from publisher.deadlines import add_working_days, closed_because, next_working_day
from publisher.editions import amended_wording, note_check
from publisher.errors import InputError
from publisher.markdown_quoting import plain_markdown
from publisher.models import Change, Notice
from publisher.store import Store
from publisher.text import clean_text

STATUSES = ("draft", "approved", "published")
MAX_WORKING_DAYS = 60
# A deadline further from publication than this is a placeholder (31/12/9999 for "none"),
# refused even with --force; a publication time outside these bounds is a typo.
DEADLINE_YEARS, DEADLINE_SPAN = 2, "two years"
EARLIEST = datetime(2000, 1, 1, tzinfo=UK)
MAX_AHEAD = timedelta(days=365)
CLOCK_SLACK = timedelta(minutes=5)  # "now" typed a minute ago, or clocks a little apart
NO_DEADLINE_HINT = "leave 'due' empty if the sheet has none"
MAX_TITLE_LENGTH = 200  # a subject line still readable in a mail client's list
_WORKING_DAYS = re.compile(r"[0-9]+")
_DATE_SHAPED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}")


class NoticeError(InputError):
    """Something a user asked of a sheet that cannot be done, with the reason."""


def is_working_days(due: str | None) -> bool:
    """Whether ``due`` counts working days after publication ('7'), not a date."""
    return due is not None and _WORKING_DAYS.fullmatch(due) is not None


def deadline_for(due: str | None, published: datetime) -> date | None:
    """The 'to be completed by' date: ``due`` working days after publication, or a date."""
    if not due:
        return None
    if is_working_days(str(due)):
        return add_working_days(published.astimezone(UK).date(), int(due))
    return date.fromisoformat(str(due))


def validate_due(due: str | None) -> str | None:
    """A due value: working days ('7') or a date (2024-01-12 or 12/01/2024, kept as ISO)
    on which schools are open."""
    if due is None or is_working_days(due):
        return due
    try:
        day = parse_day(str(due))
    except ValueError as error:
        if _DATE_SHAPED.fullmatch(str(due).strip()):
            raise NoticeError(
                f"due '{due}' is not a date ({error}): write a real date, like 12/01/2024"
            ) from None
        raise NoticeError(
            f"due '{due}' is neither a number of working days nor a date like 12/01/2024"
        ) from None
    _check_deadline_possible(day)
    check_working_day(day)
    return day.isoformat()


def latest_deadline(published: date) -> date:
    """The last deadline a sheet published on ``published`` may have (DEADLINE_YEARS on)."""
    year = published.year + DEADLINE_YEARS
    try:
        return published.replace(year=year)
    except ValueError:  # 29 February
        return published.replace(year=year, day=28)


def _check_deadline_possible(deadline: date) -> None:
    """Refuse a date no sheet could have as its deadline, whenever it is published
    (from 2000 to a year from now, the deadline within two years of that)."""
    if deadline < EARLIEST.date():
        problem = "is before 2000"
    elif deadline > latest_deadline(uk_today() + MAX_AHEAD):
        problem = "is too far ahead"
    else:
        return
    shown = f"{deadline:%d/%m/}{deadline.year:04d}"  # strftime writes year 1 as '1'
    raise NoticeError(
        f"due {shown} {problem}: a deadline must fall within {DEADLINE_SPAN} of publication; "
        f"set the real date, or {NO_DEADLINE_HINT}"
    )


def check_working_day(deadline: date) -> None:
    """Refuse a deadline on a weekend or bank holiday, naming the next working day."""
    reason = closed_because(deadline)
    if reason:
        raise NoticeError(
            f"due {deadline:%d/%m/%Y} is {reason}: schools are closed; use the next "
            f"working day, {next_working_day(deadline):%A %d/%m/%Y}"
        )


def check_title(title: str) -> str:
    """The title cleaned (``clean_text``), or a ``NoticeError`` when it is empty or longer
    than MAX_TITLE_LENGTH."""
    cleaned = clean_text(title)
    if not cleaned:
        raise NoticeError("the title is empty: give the sheet a title")
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise NoticeError(
            f"keep the title to {MAX_TITLE_LENGTH} characters or fewer (it has {len(cleaned):,})"
        )
    return cleaned


def parse_datetime(text: str) -> datetime:
    """'2024-01-03 10:00' or '2024-01-03T10:00:00': UK local time unless an offset is given.
    In the hour the clocks go back, a time is the first of the two (BST); a time in the
    hour they skip going forward is refused."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise NoticeError(f"'{text}' is not a date and time like 2024-01-03 10:00") from None
    if moment.tzinfo:
        return moment
    local = moment.replace(tzinfo=UK)  # fold 0: the first of a repeated hour
    if local.astimezone(UTC).astimezone(UK).replace(tzinfo=None) != moment:
        earlier, later = moment - timedelta(hours=1), moment + timedelta(hours=1)
        raise NoticeError(
            f"{text} is in the hour the UK clocks skip when they go forward: "
            f"give {earlier:%H:%M} or {later:%H:%M}"
        )
    return local


def check_publication_time(moment: datetime) -> None:
    """A sheet is published now, or back-dated (an import), never ahead: a sheet dated next
    year would stop every sheet of that year until then (numbers follow dates). Before 2000
    is a typo ('MI 1/01')."""
    if moment < EARLIEST:
        _refuse_time(moment, "is before 2000")
    if moment > utcnow() + CLOCK_SLACK:
        _refuse_time(moment, "is in the future: publish now, or give a past time to back-date")


def check_send_time(moment: datetime) -> None:
    """A send is set for later, within a year: not for a time gone by (a mistyped year would
    send on the next run, unasked)."""
    if moment < utcnow() - CLOCK_SLACK:
        _refuse_time(moment, "has passed: give a time to come, or send now without --at")
    if moment > utcnow() + MAX_AHEAD:
        _refuse_time(moment, "is more than a year from now")


def _refuse_time(moment: datetime, problem: str) -> None:
    shown = moment.replace(tzinfo=None).isoformat(" ", "minutes")
    raise NoticeError(f"{shown} {problem} (a date and time like 2024-01-03 10:00)")


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
    check_replaces(store, edited.replaces)
    edited = replace(edited, status="draft")
    with store.transaction():
        store.save_notice(edited)
    return edited


def approve(store: Store, notice: Notice) -> Notice:
    if notice.status != "draft":
        raise NoticeError(f"{notice.label} is {notice.status}, not a draft")
    _check_title_of(notice)
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

    Refused: a publication time before 2000 or in the future, or earlier than the
    last sheet of the year (numbers follow publication order); a deadline that is not
    possible (see ``_checked_deadline``)."""
    if notice.status == "published":
        raise NoticeError(f"{notice.label} is published already (on {notice.published:%d/%m/%Y})")
    if notice.status != "approved":
        raise NoticeError(
            f"{notice.label} is a draft; approve it first ('publisher mi approve {notice.id}')"
        )
    _check_title_of(notice)
    check_publication_time(at)
    at = at.astimezone(UK)
    deadline = _checked_deadline(notice.due, at, force)
    next_year = datetime(at.year + 1, 1, 1, tzinfo=UK)
    this_year = store.notices(status="published", published_from=at, published_before=next_year)
    later = [sheet for sheet in this_year if sheet.published > at]  # not the same second
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


def _checked_deadline(due: str | None, at: datetime, force: bool) -> date | None:
    """The deadline of a sheet published ``at``: on a working day, not before publication
    and, even with ``force``, not more than DEADLINE_YEARS after it; without ``force``, not
    0 or more than MAX_WORKING_DAYS working days after it (a typo more often than a plan)."""
    if not due:
        return None
    published, latest = at.date(), latest_deadline(at.date())
    if is_working_days(due) and int(due) > (latest - published).days:
        _refuse_too_far(f"{int(due)} working days", at)  # refused before they are counted
    deadline = deadline_for(due, at)
    if deadline < published:
        raise NoticeError(
            f"the deadline {deadline:%d/%m/%Y} is before publication ({at:%d/%m/%Y}): fix 'due'"
        )
    if deadline > latest:
        _refuse_too_far(f"{deadline:%d/%m/%Y}", at)
    check_working_day(deadline)
    if force:
        return deadline
    if is_working_days(due):
        if not 0 < int(due) <= MAX_WORKING_DAYS:
            raise NoticeError(
                f"due {int(due)} working days ({deadline:%d/%m/%Y}) looks like a typo: "
                "use --force if it is meant"
            )
    elif deadline > add_working_days(published, MAX_WORKING_DAYS):
        raise NoticeError(
            f"due {deadline:%d/%m/%Y} is more than {MAX_WORKING_DAYS} working days after "
            f"publication ({at:%d/%m/%Y}) and looks like a typo: use --force if it is meant"
        )
    return deadline


def _refuse_too_far(due: str, at: datetime) -> None:
    raise NoticeError(
        f"due {due} is more than {DEADLINE_SPAN} after publication ({at:%d/%m/%Y}): "
        f"set a nearer date, or {NO_DEADLINE_HINT}"
    )


def _check_title_of(notice: Notice) -> None:
    """A sheet saved before titles were checked goes no further without a good one."""
    try:
        check_title(notice.title)
    except NoticeError as error:
        raise NoticeError(
            f"{notice.label}: {error} (with 'publisher mi edit {notice.id}' or the web editor)"
        ) from None


def check_replaces(store: Store, replaces: str | None) -> None:
    """A correction replaces a published sheet that exists."""
    if replaces and find(store, replaces).status != "published":
        raise NoticeError(f"{replaces} is not a published sheet, so it cannot be replaced")


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
    draft = _checked_draft(config, store, title, change_id, replaces, fields)
    with store.transaction():
        return store.add_notice(draft)


def draft_for_change(config: Config, store: Store, change_id: int) -> tuple[Notice, bool]:
    """The sheet being drafted from a detected change (not yet published), or a new draft
    from it when there is none: (the sheet, whether it is new). Asked twice (a double
    click, two editors at once), it drafts once; once that sheet is published, a new one."""
    draft = _checked_draft(config, store, None, change_id, None, {})
    with store.transaction():  # looked for and added together: a second ask waits, finds it
        unpublished = [n for n in store.notices_for_change(change_id) if n.status != "published"]
        if unpublished:
            return min(unpublished, key=lambda notice: notice.id), False
        return store.add_notice(draft), True


def _checked_draft(
    config: Config,
    store: Store,
    title: str | None,
    change_id: int | None,
    replaces: str | None,
    fields: dict,
) -> Notice:
    """A new draft (see ``new_draft``), checked, not stored."""
    draft = Notice(type="Action", title="", contact=config.organisation.contact)
    if change_id is not None:
        change = store.change(change_id)
        if change is None:
            raise NoticeError(f"no change with id {change_id} (see: publisher changes)")
        draft = draft_from_change(config, change)
    elif title is None:
        raise NoticeError("give a title, or a change id to start from")
    title = check_title(draft.title if title is None else title)
    check_replaces(store, replaces)
    if fields.get("due"):
        fields["due"] = validate_due(fields["due"])
    given = {name: _cleaned(name, value) for name, value in fields.items() if value}
    draft = replace(draft, title=title, replaces=replaces, **given)
    check_fields(config, draft)
    return draft


def _cleaned(field: str, value: object) -> object:
    """A field given on the command line or in a form, cleaned as the editor's are."""
    if field == "body":
        return clean_text(str(value), multiline=True)
    if field == "audiences":
        return tuple(clean_text(str(audience)) for audience in value)
    return clean_text(str(value))


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
    """A draft sheet that quotes a detected change, for the team to finish. What GOV.UK
    wrote (title, note, wording) is plain text: quoted so Markdown shows it as written."""
    source = next((s for s in config.sources if s.id == change.source_id), None)
    when = f" on {change.changed_at.astimezone(UK):%d %B %Y}" if change.changed_at else ""
    if wording := amended_wording(change):
        changes = "\n".join(f"- {plain_markdown(line)}" for line in wording)
        if check := note_check(change):
            changes += f"\n\n{check}"
    elif change.refs:
        changes = "\n".join(f"- {plain_markdown(entry)}" for entry in change.entries)
    else:
        changes = plain_markdown(change.note or change.details, keep_lines=True)
    body = (
        f"## Summary\n\n{plain_markdown(change.title)} was updated{when}.\n\n"
        f"## Key changes\n\n{changes}\n\n"
        f"## Next steps\n\n- Read the updated guidance: <{_link_target(change.url)}>\n"
        "- Brief relevant staff and update your policies.\n"
    )
    suffix = ": updated guidance"
    return Notice(
        type="Action" if change.statutory else "Information",
        title=clean_text(change.title, max_length=MAX_TITLE_LENGTH - len(suffix)) + suffix,
        contact=config.organisation.contact,
        body=body,
        audiences=source.audiences if source else (),
        change_id=change.id,
    )


def _link_target(url: str) -> str:
    """A URL that stays one autolink: spaces, '<' and '>' percent-encoded."""
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~")
