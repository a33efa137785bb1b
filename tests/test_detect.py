"""Statutory change detection through `publisher check`, against a real local server."""

import email
import email.policy
import json
import socket
import subprocess
import sys

import pytest
from filelock import FileLock
from werkzeug import Response

from conftest import fixture_bytes

WTTSC = "/government/publications/working-together-to-safeguard-children--2"


class GovukServer:
    """Serves one Content API state at a time, like GOV.UK between publishes."""

    def __init__(self, server):
        self.server = server
        self.body: bytes = b""
        self.status = 200
        server.expect_request(f"/api/content{WTTSC}").respond_with_handler(self.respond)

    def respond(self, request):
        return Response(self.body, status=self.status, content_type="application/json")

    def publish(self, fixture: str | None = None, status: int = 200, body: bytes | None = None):
        self.body = body if body is not None else fixture_bytes(f"govuk/{fixture}")
        self.status = status


@pytest.fixture
def govuk(server, project):
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": WTTSC}],
        settings={"govuk_base_url": server.url_for("").rstrip("/"), "timeout": 2},
    )
    return GovukServer(server)


def check(project, *args, expect=0):
    return project.run("check", *args, expect=expect)


def outbox(project):
    return sorted((project.data_dir / "outbox").glob("*.eml"))


def test_the_wttsc_sequence(govuk, project):
    govuk.publish("wttsc-v1.json")
    assert check(project).stdout == ""  # first sight: a baseline, no alerts

    govuk.publish("wttsc-v2.json")
    result = check(project, "--exit-code", expect=1)
    assert result.stdout.startswith(
        "STATUTORY MAJOR CHANGE: Working together to safeguard children\n"
        f"{govuk.server.url_for(WTTSC)}\n"
        "Changed 23 February 2024 at 12:48 (UTC)\n"
        "Change #1 (draft an MI sheet from it: publisher mi new --from-change 1)\n"
        "- Page 26, paragraph 48: amended the wording used to describe lead safeguarding partners\n"
        "- Page 42: corrected the Child Safeguarding Practice Review Panel email address.\n"
    )
    [change] = project.changes()
    assert change["kind"] == "major" and change["statutory"] is True
    assert change["source"] == "wttsc"
    assert change["url"] == govuk.server.url_for(WTTSC)
    assert [(ref["page"], ref["paragraph"]) for ref in change["refs"]] == [
        (26, "48"),
        (42, None),
        (161, None),
        (167, None),
    ]
    assert all(ref["chapter"] is None and ref["annex"] is None for ref in change["refs"])
    assert change["refs"][3]["text"].startswith("Page 167: linked to the latest version")
    [alert] = outbox(project)
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert (
        message["Subject"] == "Statutory guidance changed: Working together to safeguard children"
    )
    assert message["To"] == "safeguarding@testshire.example"
    assert "Page 161: updated the glossary definition" in message.get_body(("html",)).get_content()

    assert check(project, "--exit-code").stdout == ""  # v2 again: nothing new, exit 0

    govuk.publish("wttsc-v3.json")  # a minor edit: recorded, not alerted
    assert check(project).stdout == ""
    assert [c["kind"] for c in project.changes()] == ["major", "minor"]
    assert len(outbox(project)) == 1

    govuk.publish("wttsc-v4.json")  # the PDF replaced by a new upload
    result = check(project)
    assert "STATUTORY ATTACHMENT CHANGE: Working together to safeguard children" in result.stdout
    attachment = project.changes()[-1]
    assert attachment["kind"] == "attachment"
    assert attachment["details"] == (
        "Replaced: Working together to safeguard children 2023: statutory guidance "
        "(170 pages, 1,650,000 bytes) -> Working together to safeguard children 2023: "
        "statutory guidance (171 pages, 1,712,345 bytes)"
    )

    govuk.publish("wttsc-withdrawn.json")
    result = check(project)
    assert "STATUTORY WITHDRAWN CHANGE" in result.stdout
    assert "This guidance has been replaced by Working together to safeguard children 2025." in (
        result.stdout
    )
    govuk.publish(status=410, body=b"")
    assert check(project).stdout == ""  # gone after withdrawn: already reported

    kinds = [c["kind"] for c in project.changes()]
    assert kinds == ["major", "minor", "attachment", "withdrawn"]
    assert len(outbox(project)) == 3


def test_gone_is_withdrawn(govuk, project):
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish(status=410, body=b"")
    assert "STATUTORY WITHDRAWN CHANGE" in check(project).stdout
    assert project.changes()[0]["note"] == "Removed from GOV.UK (HTTP 410 Gone)."


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (200, b'{"base_path": "/x", "title": ', "not JSON: Expecting value"),
        (200, b'{"results": []}', "not a GOV.UK content item: no base_path or title"),
        (404, b"Not found", f"HTTP 404 Not Found: GOV.UK has no page at {WTTSC} (check the url)"),
        (200, b"[" + b"0," * 40_000 + b"0]", "response too large: 80,003 bytes (limit 10,485)"),
    ],
    ids=["malformed-json", "not-content", "404", "huge"],
)
def test_bad_responses_are_reported_by_source(govuk, project, status, body, reason):
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": WTTSC}],
        settings={
            "govuk_base_url": govuk.server.url_for("").rstrip("/"),
            "timeout": 2,
            "max_response_mb": 0.01,
        },
    )
    govuk.publish(status=status, body=body)
    result = check(project)
    assert result.stdout == ""
    assert f"publisher check: source 'wttsc' failed: {reason}" in result.stderr
    assert "failed" not in check(project).stderr  # said once, not every run
    assert (
        json.loads(project.run("sources", "--format", "json").output)[0]["consecutive_failures"]
        == 2
    )


def test_a_change_found_by_fetch_is_alerted_by_the_next_check(govuk, project):
    govuk.publish("wttsc-v1.json")
    project.run("fetch")
    govuk.publish("wttsc-v2.json")
    fetched = project.run("fetch")
    assert "statutory major change: Working together to safeguard children" in fetched.output
    assert outbox(project) == []
    assert "STATUTORY MAJOR CHANGE" in check(project).stdout
    assert check(project).stdout == ""
    assert len(outbox(project)) == 1


def test_an_interrupted_alert_is_resent_once_with_the_same_message_id(govuk, project):
    from publisher.store import Store

    govuk.publish("wttsc-v1.json")
    project.run("fetch")
    govuk.publish("wttsc-v2.json")
    project.run("fetch")
    store = Store(project.data_dir)
    with store.transaction():  # the state a crash while the alert was in flight leaves
        [batch] = store.alert_batches()
        key = f"alert/{batch}"
        store.plan_deliveries(key, "outbox", [("safeguarding@testshire.example", "<in-flight@x>")])
        [row] = store.deliveries(key)
        assert store.claim_delivery(row, "elsewhere:999999999:1")  # a process that is gone
    store.db.execute(
        "UPDATE deliveries SET claimed_by = ? WHERE message_key = ?",
        (f"{socket.gethostname()}:999999999:1", key),
    )
    store.close()
    check(project)
    [alert] = outbox(project)
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] == "<in-flight@x>"
    assert check(project).stdout == ""
    assert len(outbox(project)) == 1


def test_a_second_check_while_one_runs_does_nothing(govuk, project):
    govuk.publish("wttsc-v1.json")
    project.data_dir.mkdir(parents=True)
    with FileLock(project.data_dir / "check.lock"):
        result = check(project)
    assert result.stdout == ""
    assert "another check is running" in result.stderr
    assert project.run("sources", "--format", "json").output.count('"last_success": null') == 1


def test_json_output_for_scripts(govuk, project):
    govuk.publish("wttsc-v1.json")
    assert json.loads(check(project, "--format", "json").stdout) == []
    govuk.publish("wttsc-v2.json")
    [change] = json.loads(check(project, "--format", "json").stdout)
    assert set(change) >= {
        "source",
        "kind",
        "statutory",
        "title",
        "url",
        "note",
        "refs",
        "detected_at",
    }
    assert set(change["refs"][0]) >= {"page", "paragraph", "chapter", "annex", "text"}


def test_changes_filters(govuk, project):
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    check(project)
    govuk.publish("wttsc-v3.json")
    check(project)
    text = project.run("changes", "--statutory").output
    assert "[wttsc] statutory major: Working together to safeguard children" in text
    assert (
        "    - Page 42: corrected the Child Safeguarding Practice Review Panel email address."
        in text
    )
    assert "minor" not in text
    assert "statutory minor" in project.run("changes", "--all").output
    assert project.run("changes", "--since", "2999-01-01").output == ""
    assert project.run("changes", "--since", "01/01/2999").output == ""  # UK dates too
    unknown = project.run("changes", "--source", "other", expect=2).output
    assert "no source with id 'other' (known: wttsc)" in unknown


def test_draft_mi_sheets_from_statutory_changes(govuk, project):
    govuk.publish("wttsc-v1.json")
    check(project, "--draft-mi")
    govuk.publish("wttsc-v2.json")
    result = check(project, "--draft-mi")
    assert "Drafted MI sheet #1: Working together to safeguard children: updated guidance" in (
        result.stdout
    )
    sheet = json.loads(project.run("mi", "show", "1", "--format", "json").output)
    assert sheet["status"] == "draft" and sheet["type"] == "Action"
    assert "- Page 26, paragraph 48: amended the wording" in sheet["body"]
    assert "was updated on 23 February 2024." in sheet["body"]
    [change] = project.changes()
    again = project.run("mi", "new", "--from-change", str(change["id"]))
    assert again.output.startswith("Created draft #2: Working together to safeguard children")


def test_an_alert_the_mail_server_refuses_is_sent_by_the_next_run(govuk, project):
    from smtp_server import RecordingHandler, SmtpServer

    handler = RecordingHandler(refuse={"safeguarding@testshire.example": "554 5.7.1 Blocked"})
    with SmtpServer(handler) as smtp:
        project.configure(
            [{"id": "wttsc", "kind": "govuk", "url": WTTSC}],
            settings={"govuk_base_url": govuk.server.url_for("").rstrip("/"), "alerts_via": "smtp"},
            delivery={"smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"}},
        )
        govuk.publish("wttsc-v1.json")
        check(project)
        govuk.publish("wttsc-v2.json")
        refused = check(project, expect=1)
        assert "Alert NOT SENT (SMTP 554 5.7.1 Blocked)" in refused.stdout
        assert "alert not sent, the next run tries again" in refused.stderr
        handler.refuse.clear()
        sent = check(project)
        assert "STATUTORY MAJOR CHANGE" in sent.stdout and "Alert sent: <" in sent.stdout
        [message] = handler.messages
        assert (
            message["Subject"]
            == "Statutory guidance changed: Working together to safeguard children"
        )
        assert check(project).stdout == ""


def test_a_bulletin_quotes_every_note_of_the_month_for_one_document(govuk, project):
    """Three real-shaped notes on 3, 13 and 19 August 2020: one entry, all three notes,
    newest first, each dated, with their references."""
    content = json.loads(fixture_bytes("govuk/wttsc-v1.json"))
    govuk.publish(body=json.dumps(content).encode())
    check(project)
    notes = [
        ("2020-08-03T10:00:00.000+01:00", "Page 12: updated the contact details."),
        ("2020-08-13T10:00:00.000+01:00", "Paragraphs 14 and 22: clarified the wording."),
        ("2020-08-19T10:00:00.000+01:00", "Annex B: added guidance on remote education."),
    ]
    for when, note in notes:
        content["details"]["change_history"].insert(0, {"public_timestamp": when, "note": note})
        content["public_updated_at"] = when
        govuk.publish(body=json.dumps(content).encode())
        check(project)
    assert len([c for c in project.changes() if c["kind"] == "major"]) == 3
    project.run("bulletin", "build", "--month", "2020-08")
    bulletin = json.loads(
        project.run("bulletin", "show", "--month", "2020-08", "--format", "json").output
    )
    [statutory] = [s for s in bulletin["sections"] if s["title"] == "Statutory updates"]
    [entry] = statutory["entries"]
    assert entry["quotes"] == [
        "19 August 2020: Annex B: added guidance on remote education.",
        "13 August 2020: Paragraphs 14 and 22: clarified the wording.",
        "3 August 2020: Page 12: updated the contact details.",
    ]


def test_a_check_stuck_for_too_long_is_reported(govuk, project):
    govuk.publish("wttsc-v1.json")
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": WTTSC}],
        settings={"govuk_base_url": govuk.server.url_for("").rstrip("/"), "lock_warn_after": 60},
    )
    project.data_dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(project.data_dir / "check.lock")],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline() == b"locked\n"
        (project.data_dir / "check.started").write_text(f"2024-01-01T00:00:00+00:00 {holder.pid}\n")
        quiet = check(project)  # held, but this is an old note: warn, exit 0 without --exit-code
        assert (
            f"another check (process {holder.pid}) has held the lock since 01/01/2024"
            in quiet.stderr
        )
        assert "is it stuck?" in quiet.stderr
        check(project, "--exit-code", expect=1)
        (project.data_dir / "check.started").write_text(f"2099-01-01T00:00:00+00:00 {holder.pid}\n")
        assert "another check is running" in check(project, "--exit-code").stderr
    finally:
        holder.kill()
        holder.wait()


HOLD_LOCK = """
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_lost_database_is_said_loudly_and_check_since_alerts_the_gap(govuk, project):
    govuk.publish("wttsc-v1.json")
    check(project)
    (project.data_dir / "publisher.db").unlink()  # lost: deleted, or a new server
    govuk.publish("wttsc-v2.json")  # published while the database was gone
    result = check(project)
    assert "no database found in" in result.stderr
    assert (
        "taking a new baseline, so changes published since then will not be alerted"
        in result.stderr
    )
    assert "publisher check --since " in result.stderr
    assert project.changes() == []  # a baseline: the 23 February 2024 note was missed

    (project.data_dir / "publisher.db").unlink()
    for side in project.data_dir.glob("publisher.db-*"):
        side.unlink()
    again = check(project, "--since", "01/02/2024")
    assert "no database found" not in again.stderr
    [change] = project.changes()
    assert change["kind"] == "major" and change["changed_at"].startswith("2024-02-23")
    assert len(outbox(project)) == 1


def test_backup_copies_the_database_and_it_restores(govuk, project, tmp_path):
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    check(project)
    copy = tmp_path / "backup.db"
    assert "Backed up" in project.run("backup", str(copy)).output
    assert "exists (use --force" in project.run("backup", str(copy), expect=2).output
    for path in project.data_dir.glob("publisher.db*"):
        path.unlink()
    (project.data_dir / "publisher.db").write_bytes(copy.read_bytes())
    assert len(project.changes()) == 1


def test_schools_that_hear_immediately_are_told_of_statutory_changes_once(govuk, project):
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": WTTSC, "audiences": ["dsls"]}],
        settings={"govuk_base_url": govuk.server.url_for("").rstrip("/"), "timeout": 2},
    )
    project.import_subscribers(
        "now@oak.example,Jo,Oak,dsls,immediately",
        "week@ash.example,Kim,Ash,dsls,weekly",
        "head@elm.example,Sam,Elm,headteachers,immediately",
        columns="email,name,school,audiences,frequency",
    )
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    result = check(project)
    assert "Told 1 immediate subscriber about the statutory changes." in result.stdout
    told = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in outbox(project)
        if "now-oak.example" in path.name
    ]
    [message] = told
    assert (
        message["Subject"] == "Statutory guidance changed: Working together to safeguard children"
    )
    text = message.get_body(("plain",)).get_content()
    assert "- Page 26, paragraph 48: amended the wording used to describe lead" in text
    assert "will send an MI sheet if your school needs to act" in text
    assert "Unsubscribe: http" in text
    assert "Told" not in check(project).stdout  # once


def test_school_alerts_can_be_switched_off(govuk, project):
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": WTTSC}],
        settings={"govuk_base_url": govuk.server.url_for("").rstrip("/"), "school_alerts": False},
    )
    project.import_subscribers("now@oak.example,Jo,Oak,dsls")
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    assert "Told" not in check(project).stdout
    assert not [path for path in outbox(project) if "now-oak.example" in path.name]


# One odd entry never hides the statutory change beside it --------------------------------


def history(content: dict) -> list[dict]:
    return content["details"]["change_history"]


ODD_ENTRIES = {
    "superscript page": lambda c: history(c).append(
        {"public_timestamp": "2024-01-10T10:00:00+00:00", "note": "Page ²: amended the wording"}
    ),
    "circled paragraph": lambda c: history(c).append(
        {"public_timestamp": "2024-01-10T10:00:00+00:00", "note": "Paragraph ①: clarified"}
    ),
    "year 1 east of UTC": lambda c: history(c).append(
        {"public_timestamp": "0001-01-01T00:30:00+01:00", "note": "Page 3: odd"}
    ),
    "year 9999 west of UTC": lambda c: history(c).append(
        {"public_timestamp": "9999-12-31T23:00:00-05:00", "note": "Page 4: odd"}
    ),
    "updated in year 10000": lambda c: c.update(public_updated_at="9999-12-31T23:00:00-05:00"),
    "file size in superscript": lambda c: c["details"]["attachments"][0].update(file_size="²"),
    "negative file size": lambda c: c["details"]["attachments"][0].update(file_size=-1),
    "file size beyond reason": lambda c: c["details"]["attachments"][0].update(file_size=10**20),
    "pages circled": lambda c: c["details"]["attachments"][0].update(number_of_pages="①"),
}


@pytest.mark.parametrize("name", list(ODD_ENTRIES))
def test_one_odd_entry_never_hides_the_statutory_change_beside_it(govuk, project, name):
    govuk.publish("wttsc-v1.json")
    check(project)
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    ODD_ENTRIES[name](content)
    govuk.publish(body=json.dumps(content).encode())
    result = check(project)
    assert "STATUTORY MAJOR CHANGE: Working together to safeguard children" in result.stdout
    assert "- Page 26, paragraph 48: amended the wording" in result.stdout
    assert "failed" not in result.output and "Traceback" not in result.output
    [source] = json.loads(project.run("sources", "--format", "json").output)
    assert source["last_error"] is None and source["consecutive_failures"] == 0
    assert check(project).stdout == ""  # and once only


REWORDED = {
    "a double space": lambda note: note.replace("Page 26, ", "Page 26,  "),
    "a full stop added": lambda note: note.replace("partners\n", "partners.\n"),
    "a typo mended": lambda note: note.replace("wording", "words"),
    "a trailing space": lambda note: note + " ",
    "CRLF line ends": lambda note: note.replace("\n", "\r\n"),
}


@pytest.mark.parametrize("name", list(REWORDED))
def test_a_note_gov_uk_rewords_later_is_not_alerted_again(govuk, project, name):
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    assert "STATUTORY MAJOR CHANGE" in check(project).stdout
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    latest = history(content)[0]
    latest["note"] = REWORDED[name](latest["note"])
    latest["public_timestamp"] = "2024-02-23T13:48:33+01:00"  # the same moment, written anew
    govuk.publish(body=json.dumps(content).encode())
    assert check(project).stdout == ""
    assert [change["kind"] for change in project.changes()] == ["major"]
    assert len(outbox(project)) == 1


@pytest.mark.parametrize(
    "vanished",
    [
        lambda details: details.pop("change_history"),
        lambda details: details.update(change_history={"a": 1}),
        lambda details: details.update(change_history=[]),
        lambda details: details.update(change_history=None),
    ],
    ids=["missing", "an object", "empty", "null"],
)
def test_a_history_that_vanishes_for_a_run_does_not_come_back_as_news(govuk, project, vanished):
    govuk.publish("wttsc-v2.json")
    check(project)
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    vanished(content["details"])
    govuk.publish(body=json.dumps(content).encode())
    check(project)
    govuk.publish("wttsc-v2.json")  # back to normal: nothing in it is new
    assert check(project).stdout == ""
    assert not [change for change in project.changes() if change["kind"] == "major"]
    assert outbox(project) == []


def republished(change) -> bytes:
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    change(history(content))
    return json.dumps(content).encode()


LATEST = "2024-02-23T12:48:33.000+00:00"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            lambda notes: notes.insert(
                0, {"public_timestamp": LATEST, "note": "Page 30: new paragraph 55 on filtering"}
            ),
            "- Page 30: new paragraph 55 on filtering",
        ),
        (
            lambda notes: notes[0].update(
                note=notes[0]["note"] + "\nPage 171: new annex on online safety."
            ),
            "- Page 171: new annex on online safety.",
        ),
        (
            lambda notes: notes[0].update(
                note=notes[0]["note"] + " Paragraph 91: child-on-child abuse added."
            ),
            "- Paragraph 91: child-on-child abuse added.",
        ),
    ],
    ids=["a second note at the same moment", "a line added", "a sentence added"],
)
def test_what_a_known_note_gains_is_alerted_once_and_only_that(govuk, project, change, said):
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    check(project)
    govuk.publish(body=republished(change))
    result = check(project)
    assert "STATUTORY MAJOR CHANGE" in result.stdout and said in result.stdout
    assert "Page 26, paragraph 48" not in result.stdout  # what was already alerted
    assert check(project).stdout == ""
    assert [c["kind"] for c in project.changes()] == ["major", "major"]


@pytest.mark.parametrize(
    "moved_to", ["2024-02-23T15:48:33+00:00", "2024-02-24T00:00:00Z", "2024-02-22T09:00:00Z"]
)
def test_a_known_note_whose_date_gov_uk_corrects_is_not_news(govuk, project, moved_to):
    govuk.publish("wttsc-v1.json")
    check(project)
    govuk.publish("wttsc-v2.json")
    check(project)
    govuk.publish(body=republished(lambda notes: notes[0].update(public_timestamp=moved_to)))
    assert check(project).stdout == ""
    govuk.publish("wttsc-v2.json")  # and moved back
    assert check(project).stdout == ""
    assert [c["kind"] for c in project.changes()] == ["major"]


def test_the_same_words_at_a_new_date_beside_the_old_note_are_news(govuk, project):
    """GOV.UK repeats short notes ('Updated guidance.'): a new one is news even when an
    older note says the same, as long as that older note is still there."""
    govuk.publish("wttsc-v2.json")
    check(project)
    first = history(json.loads(fixture_bytes("govuk/wttsc-v2.json")))[-1]["note"]
    again = {"public_timestamp": "2024-03-01T10:00:00Z", "note": first}
    govuk.publish(body=republished(lambda notes: notes.insert(0, again)))
    assert "STATUTORY MAJOR CHANGE" in check(project).stdout


def test_every_line_of_an_attachment_change_is_indented_under_it(govuk, project):
    govuk.publish("wttsc-v2.json")
    check(project)
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    [attachment] = content["details"]["attachments"][:1]
    content["details"]["attachments"] = [
        {**attachment, "title": "Annex A", "url": attachment["url"] + "?annex-a"},
        {**attachment, "title": "Annex B", "url": attachment["url"] + "?annex-b"},
    ]
    govuk.publish(body=json.dumps(content).encode())
    check(project)
    listed = project.run("changes", "--all").stdout.splitlines()
    details = [line for line in listed if line.strip().startswith(("Added:", "Removed:"))]
    assert len(details) == 4 and all(line.startswith("    ") for line in details)


def published_history(govuk, notes: list[tuple[str, str]]) -> None:
    """GOV.UK serving WTTSC with exactly these (timestamp, note) entries, newest first."""
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    content["details"]["change_history"] = [
        {"public_timestamp": when, "note": note} for when, note in notes
    ]
    govuk.publish(body=json.dumps(content).encode())


FIRST = ("2013-03-21T10:00:00Z", "First published.")
TYPO = "Page 26: amended paragraph 48.\nPage 42: corrected the email adress."


@pytest.mark.parametrize(
    ("steps", "alerted"),
    [
        (  # GOV.UK re-dates a generic note, then writes the same words again later
            [
                [("2024-01-10T09:00:00Z", "Updated guidance."), FIRST],
                [("2024-01-10T12:00:00Z", "Updated guidance."), FIRST],
                [
                    ("2024-03-05T09:00:00Z", "Updated guidance."),
                    ("2024-01-10T12:00:00Z", "Updated guidance."),
                    FIRST,
                ],
            ],
            [False, True],
        ),
        (  # a note removed, then the same words as a new note
            [
                [("2024-01-10T09:00:00Z", "Minor update"), FIRST],
                [FIRST],
                [("2024-03-05T09:00:00Z", "Minor update"), FIRST],
            ],
            [False, True],
        ),
        (  # re-dated with a typo mended at the same time
            [
                [("2024-01-10T09:00:00Z", TYPO), FIRST],
                [("2024-01-10T14:00:00Z", TYPO.replace("adress", "address")), FIRST],
            ],
            [False],
        ),
    ],
    ids=["re-dated then repeated", "removed then repeated", "re-dated and mended"],
)
def test_re_dated_and_removed_notes_neither_alert_again_nor_mute_later_ones(
    govuk, project, steps, alerted
):
    published_history(govuk, steps[0])
    check(project)
    for step, expected in zip(steps[1:], alerted, strict=True):
        published_history(govuk, step)
        assert ("STATUTORY MAJOR CHANGE" in check(project).stdout) is expected, step


@pytest.mark.parametrize(
    ("known", "added"),
    [
        ("Page 26: amended paragraph 48.", "Page 30: amended paragraph 55."),
        ("Updated Annex B.", "Updated Annex C."),
        (
            "Chapter 2: updated the section on information sharing.",
            "Chapter 4: updated the section on information sharing.",
        ),
    ],
)
def test_a_line_added_in_the_words_of_another_is_news(govuk, project, known, added):
    when = "2024-01-10T09:00:00Z"
    published_history(govuk, [(when, known), FIRST])
    check(project)
    published_history(govuk, [(when, f"{known}\n{added}"), FIRST])
    result = check(project)
    assert f"- {added}" in result.stdout and f"- {known}" not in result.stdout
    published_history(govuk, [(when, f"{known}\n{added.replace('.', '')}"), FIRST])
    assert check(project).stdout == ""  # and a later rewording of it is not


@pytest.mark.parametrize("since", ["01/04/2024", "2024-04-01", " 2024-04-01 ", "2024-04-01T00:15"])
def test_check_since_a_day_starts_at_midnight_uk_time(govuk, project, since):
    """00:30 on 1 April 2024 in London is 23:30 on 31 March in UTC."""
    published_history(govuk, [("2024-03-31T23:30:00Z", "Page 9: new paragraph 20."), FIRST])
    assert "Page 9: new paragraph 20." in check(project, "--since", since).stdout


ONE = "2024-01-10T09:00:00Z"
TWO = "2024-02-20T09:00:00Z"


@pytest.mark.parametrize(
    ("before", "after", "news"),
    [
        (  # a new line above a known one worded like it
            [(ONE, "Page 30: amended paragraph 55.")],
            [(ONE, "Page 30: amended paragraph 56.\nPage 30: amended paragraph 55.")],
            ["- Page 30: amended paragraph 56."],
        ),
        (  # a new note beside a re-dated one worded like it
            [(ONE, "Page 10: corrected the email address.")],
            [
                ("2024-03-01T09:00:00Z", "Page 9: corrected the email address."),
                ("2024-02-01T09:00:00Z", "Page 10: corrected the email address."),
            ],
            ["- Page 9: corrected the email address."],
        ),
        (  # re-dated, and a line gained
            [(ONE, "Page 9: corrected the panel's address.\nPage 12: updated the glossary.")],
            [
                (
                    TWO,
                    "Page 9: corrected the panel's address.\nPage 12: updated the glossary.\n"
                    "Page 14: added Annex C.",
                )
            ],
            ["- Page 14: added Annex C."],
        ),
        (  # two notes merged into one
            [(ONE, "Page 5: updated contacts."), (TWO, "Page 9: corrected the email address.")],
            [(TWO, "Page 5: updated contacts.\nPage 9: corrected the email address.")],
            [],
        ),
        (  # one note split over two dates
            [(ONE, "Page 5: updated contacts.\nPage 9: corrected the email address.")],
            [(ONE, "Page 5: updated contacts."), (TWO, "Page 9: corrected the email address.")],
            [],
        ),
    ],
    ids=["line above", "beside a re-dated one", "re-dated and gained", "merged", "split"],
)
def test_every_new_line_is_alerted_once_and_no_old_one_again(govuk, project, before, after, news):
    published_history(govuk, [*before, FIRST])
    check(project)
    published_history(govuk, [*after, FIRST])
    alerted = [line for line in check(project).stdout.splitlines() if line.startswith("- ")]
    assert alerted == news
    assert check(project).stdout == ""
