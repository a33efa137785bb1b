"""Delivery: subscribers, the send log, SMTP (real aiosmtpd on 127.0.0.1), GOV.UK Notify."""

import base64
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from smtp_server import RecordingHandler, SmtpServer

from publisher import hookimpl

ORGANISATION = {
    "name": "Testshire Council Education Safeguarding",
    "contact": "Education Safeguarding",
    "email": "safeguarding@testshire.example",
}


def subscribers_csv(path, count, audience="dsls"):
    rows = ["email,name,school,audiences"]
    rows += [f"dsl{n}@school{n}.example,DSL {n},School {n},{audience}" for n in range(count)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def published(project, tmp_path):
    """A project with MI 1/24 published for DSLs and headteachers."""

    def setup(delivery=None, subscribers=3):
        project.configure(
            [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}],
            organisation=ORGANISATION,
            delivery=delivery or {},
        )
        project.run("subscribers", "import", str(subscribers_csv(tmp_path / "s.csv", subscribers)))
        project.run(
            "mi",
            "new",
            "--title",
            "Filtering standards",
            "--due",
            "7",
            "--audience",
            "dsls",
            "--audience",
            "headteachers",
        )
        project.run("mi", "approve", "1")
        project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
        return project

    return setup


def smtp_delivery(server, **extra):
    return {
        "via": "smtp",
        "rate": 0,
        "retries": 2,
        "retry_backoff": 0,
        "unsubscribe_url": "https://www.testshire.example/unsubscribe?email={email}",
        "smtp": {"host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 5},
        **extra,
    }


def test_import_reports_bad_rows_by_line_and_keeps_good_ones(project, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "Email,Name,School,Audiences\n"
        "jo@oak.example,Jo Patel,Oak Primary,dsls;headteachers\n"
        "not-an-email,Broken,Nowhere,dsls\n"
        "sam@oak.example,Sam,Oak Primary,Governors\n"
        "kim@ash.example,Kim,Ash Academy,parents\n"
        "lee@ash.example,Lee,Ash Academy,\n"
    )
    result = project.run("subscribers", "import", str(csv_file))
    assert f"{csv_file} line 3: 'not-an-email' is not an email address" in result.stderr
    assert f"{csv_file} line 5: unknown audience parents" in result.stderr
    assert f"{csv_file} line 6: lee@ash.example has no audiences" in result.stderr
    assert result.stdout == "Imported 2 new subscribers, 0 updated, 0 unchanged; skipped 3.\n"
    listed = json.loads(project.run("subscribers", "list", "--format", "json").output)
    assert [(s["email"], s["audiences"]) for s in listed] == [
        ("jo@oak.example", ["dsls", "headteachers"]),
        ("sam@oak.example", ["governors"]),
    ]

    project.run("subscribers", "unsubscribe", "jo@oak.example")
    assert "jo@oak.example" not in project.run("subscribers", "list").output
    again = project.run("subscribers", "import", str(csv_file))
    assert "jo@oak.example has unsubscribed (skipped)" in again.stderr


def test_smtp_send_one_message_per_recipient_with_list_headers(published):
    with SmtpServer(RecordingHandler()) as server:
        project = published(smtp_delivery(server), subscribers=5)
        result = project.run("send", "--mi", "1/24")
        assert result.stdout.startswith("Sent 5, failed 0, already sent 0")
        assert sorted(server.handler.recipients) == [f"dsl{n}@school{n}.example" for n in range(5)]
        message = next(
            m for m in server.handler.messages if m["To"].endswith("dsl3@school3.example>")
        )
        assert message["Subject"] == "MI 1/24 ACTION by 12/01/2024: Filtering standards"
        assert message["From"] == f"{ORGANISATION['name']} <safeguarding@testshire.example>"
        assert message["Reply-To"] == "safeguarding@testshire.example"
        assert message["Message-ID"].endswith("@testshire.example>") and message["Date"]
        assert message["List-Id"].strip() == (
            "Testshire Council Education Safeguarding <safeguarding.testshire.example>"
        )
        assert message["List-Unsubscribe"] == (
            "<mailto:safeguarding@testshire.example?subject=unsubscribe%20dsl3@school3.example>,"
            " <https://www.testshire.example/unsubscribe?email=dsl3@school3.example>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(("html",)).get_content()
        assert text.startswith("For DSL 3 (School 3)\n")
        assert "For DSL 3 (School 3)" in html and "mj-column" in html

        again = project.run("send", "--mi", "1/24")
        assert again.stdout.startswith("Sent 0, failed 0, already sent 5")
        assert len(server.handler.messages) == 5


def test_dry_run_and_limit(published):
    with SmtpServer(RecordingHandler()) as server:
        project = published(smtp_delivery(server), subscribers=4)
        dry = project.run("send", "--mi", "1/24", "--dry-run").output.splitlines()
        assert (
            dry[0] == "dsl0@school0.example: MI 1/24 ACTION by 12/01/2024: Filtering standards "
            "[would send]"
        )
        assert dry[-1] == "Dry run: 4 recipients through smtp; nothing sent."
        assert server.handler.messages == []
        assert project.run("send", "--mi", "1/24", "--limit", "3").stdout.startswith(
            "Sent 3, failed 0, already sent 0, left for the next run 1 (through smtp)."
        )
        assert "[sent]" in project.run("send", "--mi", "1/24", "--dry-run").output
        assert project.run("send", "--mi", "1/24").stdout.startswith(
            "Sent 1, failed 0, already sent 3"
        )
        assert len(server.handler.messages) == 4


def test_temporary_failures_are_retried(published):
    with SmtpServer(RecordingHandler(defer_first=True)) as server:
        project = published(smtp_delivery(server), subscribers=3)
        assert project.run("send", "--mi", "1/24").stdout.startswith("Sent 3, failed 0")
        assert len(server.handler.messages) == 3
        assert server.handler.deferred == {f"dsl{n}@school{n}.example" for n in range(3)}


def test_permanent_failures_are_recorded_and_the_run_goes_on(published):
    refuse = {"dsl1@school1.example": "550 5.1.1 No such user"}
    with SmtpServer(RecordingHandler(refuse=refuse)) as server:
        project = published(smtp_delivery(server), subscribers=3)
        result = project.run("send", "--mi", "1/24", expect=1)
        assert result.stdout.startswith("Sent 2, failed 1")
        assert "dsl1@school1.example: SMTP 550 5.1.1 No such user" in result.stderr
        assert sorted(server.handler.recipients) == ["dsl0@school0.example", "dsl2@school2.example"]
        assert project.run("send", "--mi", "1/24").stdout.startswith(
            "Sent 0, failed 0, already sent 2"
        )  # a permanent failure is not retried forever
        server.handler.refuse.clear()  # the school fixed its mailbox
        retried = project.run("send", "--mi", "1/24", "--retry-failed")
        assert retried.stdout.startswith("Sent 1, failed 0, already sent 2")
        assert sorted(server.handler.recipients) == [f"dsl{n}@school{n}.example" for n in range(3)]


def test_a_lasting_temporary_failure_is_tried_again_next_run(published):
    handler = RecordingHandler(refuse={"dsl1@school1.example": "452 4.2.2 Mailbox full"})
    with SmtpServer(handler) as server:
        project = published(smtp_delivery(server), subscribers=3)
        result = project.run("send", "--mi", "1/24", expect=1)
        assert result.stdout.startswith("Sent 2, failed 0, already sent 0, left for the next run 1")
        assert "SMTP 452 4.2.2 Mailbox full (3 tries; the next run tries again)" in result.stderr
        handler.refuse.clear()  # the mailbox has room again
        assert project.run("send", "--mi", "1/24").stdout.startswith(
            "Sent 1, failed 0, already sent 2"
        )
        assert sorted(handler.recipients) == [f"dsl{n}@school{n}.example" for n in range(3)]


def test_a_dropped_connection_is_reopened(published):
    with SmtpServer(RecordingHandler(drop_first=True)) as server:
        project = published(smtp_delivery(server), subscribers=3)
        assert project.run("send", "--mi", "1/24").stdout.startswith("Sent 3, failed 0")
        assert len(server.handler.messages) == 3


@pytest.mark.parametrize("connections", [1, 4])
def test_messages_go_over_as_many_connections_at_once_as_configured(published, connections):
    """A distant relay answers slowly: several connections keep it busy (each message
    still goes once, and the send log records them all)."""
    with SmtpServer(RecordingHandler(hold=0.2)) as server:
        delivery = smtp_delivery(server, connections=connections)
        project = published(delivery, subscribers=6)
        assert project.run("send", "--mi", "1/24").stdout.startswith("Sent 6, failed 0")
        assert server.handler.most_at_once == connections
        assert len(server.handler.peers) == connections
        assert sorted(server.handler.count_by_recipient().values()) == [1] * 6
        assert "already sent 6," in project.run("send", "--mi", "1/24").stdout


def test_unsubscribed_addresses_are_never_sent_to(published):
    with SmtpServer(RecordingHandler()) as server:
        project = published(smtp_delivery(server), subscribers=3)
        project.run("subscribers", "unsubscribe", "dsl2@school2.example")
        assert project.run("send", "--mi", "1/24").stdout.startswith("Sent 2,")
        assert "dsl2@school2.example" not in server.handler.recipients


def zombie(pid: int) -> bool:
    """Killed but not yet waited for by its parent (as the rerun may find it, under cron)."""
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("reaped", [True, False], ids=["reaped", "not-yet-reaped"])
def test_kill_9_mid_send_then_rerun_delivers_each_message_once(published, tmp_path, reaped):
    with SmtpServer(RecordingHandler()) as server:
        project = published(smtp_delivery(server, rate=100), subscribers=250)
        command = project.argv("send", "--mi", "1/24")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while len(server.handler.messages) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        if reaped:
            process.wait()
        else:
            while not zombie(process.pid):
                time.sleep(0.01)
        delivered_before = len(server.handler.messages)
        assert 0 < delivered_before < 250

        rerun = project.run("send", "--mi", "1/24")
        counts = server.handler.count_by_recipient()
        assert set(counts) == {f"dsl{n}@school{n}.example" for n in range(250)}
        # At most the messages in flight at the kill (one per connection, 4 by default)
        # can have arrived twice, and then as the same message (same Message-ID), which
        # mail clients show once.
        duplicates = {email: n for email, n in counts.items() if n > 1}
        assert sum(duplicates.values()) - len(duplicates) <= 4
        ids = {}
        for message in server.handler.messages:
            ids.setdefault(message["To"], set()).add(message["Message-ID"])
        assert all(len(message_ids) == 1 for message_ids in ids.values())
        assert "already sent" in rerun.stdout
        process.wait()


def test_notify_through_the_official_client(published, server, monkeypatch):
    service_id = "26785a09-ab16-4eb0-8407-a37497a57506"
    api_key = f"test_key-{service_id}-3d844edf-8d35-48ac-975b-e847b4f122b0"
    monkeypatch.setenv("PUBLISHER_NOTIFY_API_KEY", api_key)
    received = []

    def notify_api(request):
        from werkzeug import Response

        received.append((dict(request.headers), request.get_json()))
        body = {
            "id": f"notification-{len(received)}",
            "reference": None,
            "content": {},
            "uri": "",
            "template": {},
        }
        return Response(json.dumps(body), status=201, content_type="application/json")

    server.expect_request("/v2/notifications/email", method="POST").respond_with_handler(notify_api)
    project = published(
        {
            "via": "notify",
            "rate": 0,
            "notify": {
                "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
                "base_url": server.url_for("").rstrip("/"),
            },
        },
        subscribers=2,
    )
    assert project.run("send", "--mi", "1/24").stdout.startswith("Sent 2, failed 0")
    assert sorted(body["email_address"] for _, body in received) == [
        "dsl0@school0.example",
        "dsl1@school1.example",
    ]
    headers, body = next(pair for pair in received if pair[1]["email_address"].startswith("dsl0"))
    assert body["template_id"] == "f33517ff-2a88-4f6e-b855-c550268ce08a"
    assert body["personalisation"]["subject"] == (
        "MI 1/24 ACTION by 12/01/2024: Filtering standards"
    )
    assert body["personalisation"]["body"].startswith("For DSL 0 (School 0)\n")
    assert body["reference"].endswith("@testshire.example>")
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == service_id

    monkeypatch.delenv("PUBLISHER_NOTIFY_API_KEY")
    result = project.run("send", "--mi", "1/24", "--via", "notify", expect=1)
    assert "set PUBLISHER_NOTIFY_API_KEY" in result.output


def test_secrets_in_feeds_yaml_are_refused(project):
    project.configure(
        [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}],
        delivery={"via": "smtp", "smtp": {"host": "mail", "password": "hunter2"}},
    )
    result = project.run("sources", expect=2)
    assert "'password' looks like a secret: put it in an environment variable" in result.output


class FlakyDeliverer:
    """A third-party deliverer with a bug: it raises for one address."""

    delivered: list[str] = []

    def __init__(self, config, data_dir):
        pass

    def send(self, message, recipient: str) -> str:
        if recipient.startswith("dsl1@"):
            raise RuntimeError("bug in the plugin")
        FlakyDeliverer.delivered.append(recipient)
        return "ok"

    def close(self) -> None:
        pass


class FlakyPlugin:
    @hookimpl
    def register_deliverers(self, register):
        register("flaky", FlakyDeliverer)


def test_a_deliverer_bug_fails_the_run_but_what_went_is_recorded_as_sent(
    published, register_plugin
):
    register_plugin(FlakyPlugin(), name="flaky-test")
    FlakyDeliverer.delivered = []
    project = published({"via": "flaky", "rate": 0}, subscribers=6)
    assert project.run("send", "--mi", "1/24", expect=None).exit_code != 0
    delivered = list(FlakyDeliverer.delivered)
    assert delivered
    log = project.run("send", "--mi", "1/24", "--dry-run").stdout
    sent = {line.split(":")[0] for line in log.splitlines() if line.endswith("[sent]")}
    assert sent == set(delivered)  # every message that went is in the send log as sent
    # The rerun sends nothing twice: only what the bug stopped is tried again.
    assert project.run("send", "--mi", "1/24", expect=None).exit_code != 0
    assert len(FlakyDeliverer.delivered) == len(set(FlakyDeliverer.delivered))


@pytest.mark.parametrize(
    ("address", "in_link"),
    [
        ("jo+dsl@oak.example", "jo%2Bdsl@oak.example"),  # '+' is a space in a query
        ("a&b=c@oak.example", "a%26b%3Dc@oak.example"),
        ("o'neil@oak.example", "o%27neil@oak.example"),
    ],
)
def test_unsubscribe_links_carry_any_address_whole(project, address, in_link):
    from publisher.config import load_config
    from publisher.sending import list_headers
    from publisher.sources import source_kinds

    project.configure(
        [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}],
        organisation=ORGANISATION,
        delivery={"unsubscribe_url": "https://www.testshire.example/unsubscribe?email={email}"},
    )
    config = load_config(project.config_path, source_kinds())
    targets = list_headers(config, address, "https://unused.example/")["List-Unsubscribe"]
    assert f"subject=unsubscribe%20{in_link}>" in targets
    assert f"?email={in_link}>" in targets
