"""Reminders for ACTION sheets: schools that have not confirmed are emailed
``settings.reminder_days`` working days before the deadline, and once more when it has
passed; each reminder once per reader (the send log), never after their school confirmed
(a self-registered reader's own confirmation stops only their own: ``publisher.actions``)."""

from __future__ import annotations

from datetime import date

from publisher.actions import action_status
from publisher.config import Config
from publisher.deadlines import add_working_days
from publisher.models import Notice
from publisher.notices import notice_context
from publisher.render import Renderer
from publisher.sending import Letter, recipient_tokens
from publisher.store import Store
from publisher.subscribers import Subscriber

# An overdue reminder goes out within this many working days of the deadline, not later
# (a cron job that was off for a month does not remind about long-past sheets).
OVERDUE_WINDOW = 5


def reminder_stage(notice: Notice, today: date, days_before: int) -> str | None:
    """'before', 'overdue', or None when no reminder is due for the sheet today."""
    deadline = notice.deadline
    if deadline is None or notice.type.lower() != "action" or notice.status != "published":
        return None
    if add_working_days(deadline, -days_before) <= today <= deadline:
        return "before"
    if deadline < today <= add_working_days(deadline, OVERDUE_WINDOW):
        return "overdue"
    return None


def reminder_letters(
    renderer: Renderer, config: Config, store: Store, today: date
) -> list[tuple[Letter, list[Subscriber]]]:
    """Each reminder due today, with the readers at schools that have not confirmed."""
    letters = []
    for notice in store.notices(status="published"):
        stage = reminder_stage(notice, today, config.settings.reminder_days)
        if stage is None:
            continue
        waiting = [
            email
            for school in action_status(store, notice)
            if not school.confirmed_at
            for email in school.recipients
        ]
        readers = [s for s in store.subscribers() if s.email in set(waiting)]
        if readers:
            letters.append((reminder_letter(renderer, config, notice, stage), readers))
    return letters


def reminder_letter(renderer: Renderer, config: Config, notice: Notice, stage: str) -> Letter:
    context = {
        **notice_context(config, notice),
        "site_url": config.settings.site_url,
        "stage": stage,
        "recipient": recipient_tokens(),
    }
    prefix = "Reminder" if stage == "before" else "Overdue"
    return Letter(
        key=f"reminder/{notice.number}/{stage}",
        subject=f"{prefix}: {notice.subject}",
        text=renderer.render("email/reminder.txt", **context),
        html=renderer.render_mjml("email/reminder.mjml", **context),
        action=notice.number,
    )
