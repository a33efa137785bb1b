"""Reminders for ACTION sheets: before the deadline and once after it, each once per
reader, never to a school that has confirmed."""

import email
import email.policy
import re
from datetime import date, datetime, timedelta

import pytest

from publisher.deadlines import add_working_days
from publisher.models import Notice
from publisher.reminders import reminder_stage

DEADLINE = date(2024, 1, 12)  # a Friday


def sheet(**fields) -> Notice:
    defaults = dict(
        type="Action",
        title="Filtering",
        contact="Team",
        body="",
        status="published",
        number="1/24",
        deadline=DEADLINE,
        published=datetime(2024, 1, 3, 10),
    )
    return Notice(**(defaults | fields))


@pytest.mark.parametrize(
    "today, stage",
    [
        (date(2024, 1, 9), None),  # three working days before: too early for 2
        (date(2024, 1, 10), "before"),
        (date(2024, 1, 12), "before"),  # the day itself
        (date(2024, 1, 13), "overdue"),  # Saturday after
        (date(2024, 1, 19), "overdue"),  # five working days after
        (date(2024, 1, 22), None),  # long past: no reminder
    ],
)
def test_when_a_reminder_is_due(today, stage):
    assert reminder_stage(sheet(), today, days_before=2) == stage


@pytest.mark.parametrize(
    "fields",
    [{"type": "Information"}, {"deadline": None}, {"status": "approved", "number": None}],
)
def test_sheets_that_ask_for_nothing_get_no_reminders(fields):
    assert reminder_stage(sheet(**fields), DEADLINE, days_before=2) is None


def test_reminders_go_once_to_schools_that_have_not_confirmed(project):
    project.configure(
        [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}],
        settings={"reminder_days": 30, "site_url": "http://localhost/"},
    )
    project.import_subscribers(
        "dsl@oak.example,Jo,Oak Primary,dsls",
        "head@oak.example,Sam,Oak Primary,dsls",
        "dsl@ash.example,Kim,Ash Academy,dsls",
    )
    published = datetime.now() - timedelta(days=1)
    number = project.publish_sheet("Filtering audit", f"{published:%Y-%m-%d %H:%M}", "--due", "20")
    project.run("send", "--mi", number)
    outbox = project.data_dir / "outbox"
    sent_before = set(outbox.glob("*.eml"))

    from publisher.actions import confirm_action
    from publisher.store import Store

    store = Store(project.data_dir)
    confirm_action(store, store.notice("1"), "head@oak.example")  # Oak Primary has done it
    store.close()

    first = project.run("send", "--reminders").output
    assert first.startswith("Sent 1, failed 0")
    [reminder] = set(outbox.glob("*.eml")) - sent_before
    message = email.message_from_bytes(reminder.read_bytes(), policy=email.policy.default)
    assert message["To"] == "Kim <dsl@ash.example>"
    assert message["Subject"].startswith("Reminder: MI ")
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"confirm it \(one click\):\nhttp://localhost/actions/\S+", text)
    again = project.run("send", "--reminders").output
    assert again.startswith("Sent 0, failed 0, already sent 1")


def test_no_reminder_due_is_a_quiet_success(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    assert project.run("send", "--reminders").output.startswith("Sent 0, failed 0")


def test_working_days_count_backwards_too():
    assert add_working_days(date(2024, 1, 12), -2) == date(2024, 1, 10)
    assert add_working_days(date(2024, 1, 2), -1) == date(2023, 12, 29)  # over New Year's Day
