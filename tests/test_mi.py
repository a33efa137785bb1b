"""The MI sheet workflow through the CLI: draft, edit, approve, publish, numbering, deadlines."""

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from publisher.deadlines import add_working_days
from publisher.models import Notice
from publisher.store import Store


@pytest.fixture
def mi(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])

    def run(*args, expect=0):
        return project.run("mi", *args, expect=expect)

    run.project = project
    return run


def new_published(mi, title, at, due=None, audiences=("dsls",)):
    args = ["new", "--title", title, *(f"--audience={a}" for a in audiences)]
    if due:
        args += ["--due", due]
    draft_id = mi(*args).output.split("#", 1)[1].split(":", 1)[0]
    mi("approve", draft_id)
    return mi("publish", draft_id, "--at", at).output


def show(mi, reference):
    return json.loads(mi("show", reference, "--format", "json").output)


def test_publish_numbers_and_dates_a_sheet(mi):
    output = new_published(
        mi,
        "Working Together to Safeguard Children",
        "2024-01-03 10:00",
        due="7",
        audiences=("headteachers", "dsls", "governors"),
    )
    assert output == (
        "Published MI 1/24 ACTION by 12/01/2024: Working Together to Safeguard Children\n"
    )
    fields = show(mi, "1/24")
    assert {
        key: fields[key]
        for key in ("number", "type", "title", "published", "deadline", "contact", "audiences")
    } == {
        "number": "1/24",
        "type": "Action",
        "title": "Working Together to Safeguard Children",
        "published": "2024-01-03T10:00:00+00:00",
        "deadline": "2024-01-12",
        "contact": "Education Safeguarding",
        "audiences": ["Headteachers", "DSLs", "Governors"],
    }
    text = mi("show", "1/24").output
    assert "MI sheet type: Action\nTo be completed by: 12/01/2024\nMI number: 1/24\n" in text
    assert "Publication date: 03/01/2024 10:00\n" in text


def test_deadlines_skip_weekends_and_bank_holidays(mi):
    new_published(mi, "Christmas", "2023-12-20 09:00", due="5")
    assert show(mi, "1/23")["deadline"] == "2023-12-29"  # 25, 26 Dec are bank holidays
    new_published(mi, "Summer time", "2024-05-01 10:00", due="2024-05-10")
    assert show(mi, "1/24")["deadline"] == "2024-05-10"
    assert show(mi, "1/24")["published"] == "2024-05-01T10:00:00+01:00"  # BST


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2024-01-03", 7, "2024-01-12"),
        ("2023-12-20", 5, "2023-12-29"),
        ("2024-03-28", 1, "2024-04-02"),  # Good Friday and Easter Monday
        ("2024-05-03", 1, "2024-05-07"),  # early May bank holiday
        ("2024-08-23", 1, "2024-08-27"),  # summer bank holiday
        ("2024-01-05", 1, "2024-01-08"),  # Friday to Monday
        ("2024-01-03", 0, "2024-01-03"),
    ],
)
def test_working_days(start, days, expected):
    from datetime import date

    assert add_working_days(date.fromisoformat(start), days).isoformat() == expected


def test_numbers_run_per_year_and_are_never_reused(mi):
    new_published(mi, "First", "2024-01-03 10:00")
    mi("new", "--title", "Abandoned draft")
    mi("delete", "2")
    assert new_published(mi, "Second", "2024-02-01 10:00").startswith("Published MI 2/24 ")
    assert new_published(mi, "New year", "2025-01-06 10:00").startswith("Published MI 1/25 ")
    numbers = [row["number"] for row in json.loads(mi("list", "--format", "json").output)]
    assert numbers == ["1/24", "2/24", "1/25"]


def test_a_published_sheet_is_frozen_and_corrected_by_a_new_one(mi):
    new_published(mi, "Original", "2024-01-03 10:00", due="7")
    refused = mi("edit", "1/24", "--file", "/dev/null", expect=2)
    assert "MI 1/24 is published and frozen" in refused.output
    assert "publisher mi new --replaces 1/24" in refused.output
    assert "cannot be deleted" in mi("delete", "1/24", expect=2).output

    mi("new", "--title", "Original (corrected)", "--replaces", "1/24", "--audience", "dsls")
    mi("approve", "2")
    mi("publish", "2", "--at", "2024-01-04 09:00")
    assert show(mi, "2/24")["replaces"] == "1/24"
    assert "Replaces: MI 1/24" in mi("show", "2/24").output
    assert "no MI sheet '9/24'" in mi("new", "--title", "x", "--replaces", "9/24", expect=2).output
    mi("new", "--title", "Still a draft")
    assert (
        "3 is not a published sheet"
        in mi("new", "--title", "x", "--replaces", "3", expect=2).output
    )


def test_publishing_needs_approval_and_editing_withdraws_it(mi, tmp_path):
    mi("new", "--title", "Draft", "--audience", "dsls")
    assert "approve it first" in mi("publish", "1", expect=2).output
    mi("approve", "1")
    edited = tmp_path / "sheet.md"
    edited.write_text(
        "---\ntitle: Better title\ntype: Information\ndue: 3\ncontact: Jo Bloggs\n"
        "audiences: [governors]\n---\n## Summary\n\nNew text.\n"
    )
    mi("edit", "1", "--file", str(edited))
    fields = show(mi, "1")
    assert fields["status"] == "draft"
    assert (fields["title"], fields["type"], fields["contact"]) == (
        "Better title",
        "Information",
        "Jo Bloggs",
    )
    assert fields["audiences"] == ["Governors"]
    assert fields["body"] == "## Summary\n\nNew text."


def test_edit_opens_the_editor(mi, monkeypatch):
    mi("new", "--title", "Typo in titel")
    monkeypatch.setenv("EDITOR", "sed -i s/titel/title/")
    mi("edit", "1")
    assert show(mi, "1")["title"] == "Typo in title"


def test_bad_fields_are_refused_clearly(mi):
    assert (
        "type 'Urgent' is not one of Action, Information"
        in mi("new", "--title", "x", "--type", "Urgent", expect=2).output
    )
    assert (
        "unknown audience parents"
        in mi("new", "--title", "x", "--audience", "parents", expect=2).output
    )
    assert (
        "neither a number of working days nor a date"
        in mi("new", "--title", "x", "--due", "next week", expect=2).output
    )
    assert "no MI sheet '7/24'" in mi("show", "7/24", expect=2).output
    assert "is not a date and time" in mi("publish", "1", "--at", "soon", expect=2).output


def test_list_by_status(mi):
    new_published(mi, "Published one", "2024-01-03 10:00")
    mi("new", "--title", "Still a draft", "--audience", "dsls")
    mi("new", "--title", "Approved one", "--audience", "dsls")
    mi("approve", "3")

    def titles(*options):
        return [row["title"] for row in json.loads(mi("list", *options, "--format", "json").output)]

    assert titles() == ["Published one", "Still a draft", "Approved one"]
    assert titles("--status", "draft") == ["Still a draft"]
    assert titles("--status", "approved") == ["Approved one"]
    assert titles("--status", "published") == ["Published one"]
    assert "'retracted' is not one of" in mi("list", "--status", "retracted", expect=2).output


def test_publishing_twice_and_editing_an_approved_sheet_say_what_happened(mi, tmp_path):
    new_published(mi, "Published once", "2024-01-03 10:00")
    assert "MI 1/24 is published already (on 03/01/2024)" in mi("publish", "1/24", expect=2).output
    mi("new", "--title", "Approved", "--audience", "dsls")
    mi("approve", "2")
    sheet = tmp_path / "sheet.md"
    sheet.write_text(
        "---\ntitle: Approved, then edited\ntype: Action\naudiences: [dsls]\n---\nBody\n"
    )
    edited = mi("edit", "2", "--file", str(sheet)).output
    assert "It was approved: edited, it is a draft again and needs approving again." in edited


def test_a_stored_bulletin_can_be_deleted(project, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    editorial = tmp_path / "editorial.yaml"
    editorial.write_text("add:\n  - title: Training dates for DSLs\n    section: From the team\n")
    project.run("bulletin", "build", "--month", "2024-02", "--editorial", str(editorial))
    assert (
        "Deleted the 2024-02 bulletin"
        in project.run("bulletin", "delete", "--month", "2024-02").output
    )
    assert project.run("bulletin", "list").output == ""
    assert (
        "no bulletin for 2024-02"
        in project.run("bulletin", "delete", "--month", "2024-02", expect=2).output
    )


def test_a_sheet_without_an_audience_cannot_be_approved(mi):
    mi("new", "--title", "For nobody")
    refused = mi("approve", "1", expect=2).output
    assert "draft #1 has no audience, so nobody would receive it" in refused


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("2020-01-02", "the deadline 02/01/2020 is before publication (03/01/2024)"),
        ("0", "due 0 working days (03/01/2024) looks like a typo: use --force"),
        ("99999", "working days"),
        ("61", "due 61 working days"),
    ],
)
def test_impossible_deadlines_are_refused_at_publication(mi, due, message):
    mi("new", "--title", "Deadline", "--audience", "dsls", "--due", due)
    mi("approve", "1")
    assert message in mi("publish", "1", "--at", "2024-01-03 10:00", expect=2).output


def test_a_long_deadline_can_be_forced(mi):
    mi("new", "--title", "A long one", "--audience", "dsls", "--due", "61")
    mi("approve", "1")
    assert "Published MI 1/24" in mi("publish", "1", "--at", "2024-01-03 10:00", "--force").output


def test_back_dating_before_the_last_sheet_of_the_year_is_refused(mi):
    new_published(mi, "Later", "2024-03-01 10:00")
    mi("new", "--title", "Earlier", "--audience", "dsls")
    mi("approve", "2")
    refused = mi("publish", "2", "--at", "2024-02-01 10:00", expect=2).output
    assert "MI 1/24 was published later (01/03/2024 10:00)" in refused
    assert "Published MI 2/24" in mi("publish", "2", "--at", "2024-03-02 10:00").output


def test_broken_front_matter_keeps_what_was_written(mi, project, tmp_path):
    mi("new", "--title", "Keep my words", "--audience", "dsls")
    sheet = tmp_path / "sheet.md"
    sheet.write_text("---\ntitle: Keep: my words\n---\nA long body the officer spent an hour on.\n")
    refused = mi("edit", "1", "--file", str(sheet), expect=2)
    assert "line 2: the front matter is not valid YAML" in refused.output
    kept = project.data_dir / "unsaved" / "mi-1.md"
    assert f"What you wrote is kept in {kept}" in refused.output
    assert "A long body the officer spent an hour on." in kept.read_text()


def test_the_editable_sheet_says_the_body_is_markdown(mi):
    mi("new", "--title", "Markdown", "--audience", "dsls")
    assert (
        "# The body below the next line is Markdown"
        in mi("show", "1", "--format", "markdown").output
    )


# Deadlines and publication times far from now (a year 9999 placeholder, a year-1 typo) ---


def draft_due(mi, due):
    mi("new", "--title", "Far", "--audience", "dsls")
    store = Store(mi.project.data_dir)
    with store.transaction():  # as a sheet drafted before drafts were checked is stored
        store.db.execute("UPDATE notices SET due = ?, status = 'approved' WHERE id = 1", (due,))
    store.close()


@pytest.mark.parametrize(
    "due", ["9999-12-31", "2026-01-06", "600", "99999999999999999999", "2999-01-01"]
)
def test_a_deadline_over_two_years_after_publication_is_refused_even_forced(mi, due):
    draft_due(mi, due)
    for force in ((), ("--force",)):
        refused = mi("publish", "1", "--at", "2024-01-03 10:00", *force, expect=2).output
        assert "more than two years after publication (03/01/2024)" in refused
        assert "leave 'due' empty if the sheet has none" in refused
        assert refused.count("\n") == 1 and "Traceback" not in refused
    assert show(mi, "1")["status"] == "approved"


@pytest.mark.parametrize(("due", "shown"), [("2024-06-03", "03/06/2024"), ("2025-12-31", None)])
def test_a_deadline_date_over_60_working_days_away_needs_force(mi, due, shown):
    draft_due(mi, due)
    refused = mi("publish", "1", "--at", "2024-01-03 10:00", expect=2).output
    assert "more than 60 working days after publication" in refused
    assert "looks like a typo: use --force if it is meant" in refused
    assert shown is None or shown in refused
    assert "Published MI 1/24" in mi("publish", "1", "--at", "2024-01-03 10:00", "--force").output


@pytest.mark.parametrize(
    "due", ["9999-12-31", "31/12/9999", "2999-12-31", "0001-01-01", "1999-12-31"]
)
def test_a_deadline_no_sheet_could_have_is_refused_when_drafted(mi, due):
    refused = mi("new", "--title", "T", "--audience", "dsls", "--due", due, expect=2).output
    assert "a deadline must fall within two years of publication" in refused
    assert refused.count("\n") == 1 and "Traceback" not in refused
    assert mi("list").output == ""


@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("9999-12-29 10:00", "is in the future"),
        ("0001-01-01 00:30", "before 2000"),
        ("0001-01-01T00:00+01:00", "before 2000"),
        ("1999-12-31 23:59", "before 2000"),
        ("9999-12-31T23:59-05:00", "is in the future"),
    ],
)
def test_a_publication_time_out_of_range_is_refused(mi, at, said):
    mi("new", "--title", "T", "--audience", "dsls", "--due", "5")
    mi("approve", "1")
    refused = mi("publish", "1", "--at", at, expect=2).output
    assert said in refused and "like 2024-01-03 10:00" in refused
    assert refused.count("\n") == 1 and "Traceback" not in refused
    assert show(mi, "1")["status"] == "approved"


@pytest.mark.parametrize("ahead", [timedelta(minutes=10), timedelta(days=1), timedelta(days=300)])
def test_a_sheet_is_never_published_ahead_of_time(mi, ahead):
    """A sheet dated next year (a mistyped year) would stop every sheet of that year."""
    mi("new", "--title", "T", "--audience", "dsls", "--due", "5")
    mi("approve", "1")
    later = datetime.now() + ahead
    refused = mi("publish", "1", "--at", f"{later:%Y-%m-%d %H:%M}", expect=2).output
    assert "is in the future" in refused
    now = datetime.now()
    assert "Published MI 1/" in mi("publish", "1", "--at", f"{now:%Y-%m-%d %H:%M}").output


def test_sheets_published_in_the_same_second_are_numbered_in_turn(mi):
    for number in (1, 2, 3):
        mi("new", "--title", f"Sheet {number}", "--audience", "dsls", "--due", "5")
        mi("approve", str(number))
    at = "2024-01-03 10:00"
    published = [mi("publish", str(number), "--at", at).output for number in (1, 2, 3)]
    assert [line.split(" ")[2] for line in published] == ["1/24", "2/24", "3/24"]


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-29 10:00",
        "0001-01-01T00:00+01:00",
        "1970-01-01 00:00",
        "2024-01-03 10:00",  # gone by: a mistyped year would send on the next run, unasked
        f"{datetime.now() + timedelta(days=400):%Y-%m-%d %H:%M}",
    ],
)
def test_a_send_time_gone_by_or_over_a_year_ahead_is_refused(mi, at):
    new_published(mi, "Sent later", "2024-01-03 10:00", due="5")
    mi.project.import_subscribers("dsl@oak.example,Jo,Oak Primary,dsls")
    refused = mi.project.run("send", "--mi", "1/24", "--at", at, expect=2).output
    assert "has passed" in refused or "more than a year from now" in refused, refused
    assert "Traceback" not in refused


def store_published(project, *deadlines):
    """Published sheets as an older version may have stored them, with these deadlines."""
    store = Store(project.data_dir)
    with store.transaction():
        for index, deadline in enumerate(deadlines, start=1):
            notice = store.add_notice(Notice(type="Action", title=f"Odd {index}", contact="Jo"))
            store.save_notice(
                replace(
                    notice,
                    audiences=("dsls",),
                    status="published",
                    number=f"{index}/24",
                    published=datetime(2024, 1, 3, 10, tzinfo=UTC),
                    deadline=deadline,
                )
            )
    store.close()


@pytest.mark.parametrize(
    ("odd", "in_calendar"),
    [(date(9999, 12, 31), False), (date(9999, 12, 30), True), (date(1, 1, 1), True)],
)
def test_one_odd_stored_deadline_never_breaks_the_build(mi, tmp_path, odd, in_calendar):
    mi("list")  # make the store
    store_published(mi.project, odd, date(2024, 1, 12))
    built = mi.project.run("build", "--output", str(tmp_path / "site"))
    assert "Traceback" not in built.output
    assert (tmp_path / "site" / "index.html").exists()
    calendar = (tmp_path / "site" / "calendars" / "dsls.ics").read_text()
    assert "Due: MI 2/24" in calendar and ("Odd 1" in calendar) == in_calendar
    assert "DTSTART;VALUE=DATE:20240112" in calendar


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(9999, 12, 30), 5, date.max),
        (date.max, 1, date.max),
        (date(1, 1, 3), -5, date.min),
        (date.min, -1, date.min),
    ],
)
def test_working_days_stop_at_the_ends_of_the_calendar(start, days, expected):
    assert add_working_days(start, days) == expected


STAFF_MARKDOWN = """\
# Referral route

![Flow chart of referral](https://x.example/flow.png)

[![Council logo](https://x.example/l.png)](https://x.example/)

Questions: [team@example.gov.uk](mailto:team@example.gov.uk)
"""


def test_images_headings_and_mailto_in_a_sheet_read_the_same_in_email_site_and_text(mi, tmp_path):
    import email
    import email.policy

    project = mi.project
    project.import_subscribers("dsl@oak.example,Jo,Oak Primary,dsls")
    sheet = tmp_path / "sheet.md"
    sheet.write_text(
        f"---\ntitle: Referrals\ntype: Information\naudiences: [dsls]\n---\n{STAFF_MARKDOWN}"
    )
    mi("new", "--title", "Referrals", "--audience", "dsls")
    mi("edit", "1", "--file", str(sheet))
    mi("approve", "1")
    mi("publish", "1", "--at", "2024-01-03 10:00")
    project.run("send", "--mi", "1/24")
    [path] = (project.data_dir / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    project.run("build", "--output", str(tmp_path / "site"))
    [page] = [p for p in (tmp_path / "site").rglob("*.html") if "Referral route" in p.read_text()]
    for html in (message.get_body(("html",)).get_content(), page.read_text()):
        assert "flow.png" not in html and "l.png" not in html
        assert "Flow chart of referral" in html
        assert re.search(r"<h2[^>]*>Referral route</h2>", html)
        assert re.search(r'<a href="https://x.example/"[^>]*>Council logo</a>', html)
    assert "Referral route\n--------------" in text
    assert "\nFlow chart of referral\n" in text
    assert "Council logo (https://x.example/)" in text
    assert "Questions: team@example.gov.uk\n" in text


# Publication times: never ahead, and only times a UK clock shows ---------------------------


def test_publish_help_says_a_time_is_now_or_earlier(mi):
    help_text = " ".join(mi("publish", "--help").output.split())
    assert "a year ahead" not in help_text
    assert "never in the future" in help_text and "UK local" in help_text


@pytest.mark.parametrize(
    ("at", "choices"),
    [
        ("2024-03-31 01:30", "give 00:30 or 02:30"),
        ("2024-03-31T01:00", "give 00:00 or 02:00"),
        ("2023-03-26 01:59", "give 00:59 or 02:59"),
        ("  2024-03-31 01:30:15  ", "give 00:30 or 02:30"),
    ],
)
def test_a_time_the_uk_clocks_skip_is_refused(mi, at, choices):
    mi("new", "--title", "T", "--audience", "dsls", "--due", "5")
    mi("approve", "1")
    refused = mi("publish", "1", "--at", at, expect=2).output
    assert f"{at.strip()} is in the hour the UK clocks skip" in refused
    assert choices in refused
    assert refused.count("\n") == 1 and "Traceback" not in refused
    assert show(mi, "1")["status"] == "approved"


@pytest.mark.parametrize(
    ("at", "utc"),
    [
        ("2024-03-31 00:59", datetime(2024, 3, 31, 0, 59, tzinfo=UTC)),
        ("2024-03-31 02:00", datetime(2024, 3, 31, 1, 0, tzinfo=UTC)),
        ("2024-03-31T01:30+00:00", datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),
        ("2024-10-27 01:30", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),  # the first 01:30
        ("2024-10-27 02:00", datetime(2024, 10, 27, 2, 0, tzinfo=UTC)),
    ],
    ids=["before the gap", "after the gap", "offset given", "repeated hour", "after it"],
)
def test_times_around_the_clock_changes_are_read_as_uk_clocks_show_them(mi, at, utc):
    mi("new", "--title", "T", "--audience", "dsls", "--due", "5")
    mi("approve", "1")
    mi("publish", "1", "--at", at)
    assert datetime.fromisoformat(show(mi, "1")["published"]) == utc
