"""The MI sheet workflow through the CLI: draft, edit, approve, publish, numbering, deadlines."""

import json

import pytest

from publisher.deadlines import add_working_days


@pytest.fixture
def mi(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])

    def run(*args, expect=0):
        return project.run("mi", *args, expect=expect)

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
