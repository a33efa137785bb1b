"""Sending under attack and under load: hostile names and header values, concurrent senders,
an unreachable server, and the everyday options (--test, --at, --due, empty sends)."""

import email
import email.policy
import json
import re
import subprocess
from datetime import date, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smtp_server import RecordingHandler, SmtpServer, free_port
from test_delivery import ORGANISATION, smtp_delivery
from werkzeug import Response

from conftest import fixture_bytes
from publisher.messages import Mailbox, build_message, header_text
from publisher.store import Store
from publisher.subscribers import Subscriber

NEWS = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}]
HOSTILE_NAMES = [
    "Jo <attacker@evil.example> (",
    "Patel, Jo",
    "Jo; Sam",
    "jo@evil.example",
    '"Quoted" Jo',
    "Jo\r\nBcc: attacker@evil.example",
    "Jo\n\nFrom: boss@council.example",
    "Siân Ó Ríordáin",
    "=?utf-8?q?attacker@evil.example?=",
    "\x00\x1b[31mJo",
]


def publish(project, tmp_path, delivery, subscribers, organisation=ORGANISATION):
    project.configure(NEWS, organisation=organisation, delivery=delivery)
    store = Store(project.data_dir)
    with store.transaction():
        store.save_subscribers(subscribers)
    store.close()
    project.run("mi", "new", "--title", "Filtering standards", "--audience", "dsls", "--due", "7")
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")


def parsed(message):
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_hostile_display_names_never_change_who_gets_the_email(project, tmp_path):
    people = [
        Subscriber(f"dsl{n}@school{n}.example", name, "Oak, Ash & <Elm>", ("dsls",))
        for n, name in enumerate(HOSTILE_NAMES)
    ]
    names = {person.email: person.name for person in people}
    with SmtpServer(RecordingHandler()) as server:
        publish(project, tmp_path, smtp_delivery(server), people)
        result = project.run("send", "--mi", "1/24")
        assert result.stdout.startswith(f"Sent {len(people)}, failed 0")
        assert sorted(server.handler.recipients) == sorted(p.email for p in people)
        for message in server.handler.messages:
            message = parsed(message)
            [(name, address)] = getaddresses([str(message["To"])])
            assert address.startswith("dsl") and "evil" not in address
            if not names[address].startswith("=?"):  # parsers decode encoded words even quoted
                assert name == header_text(names[address])
            assert message["Bcc"] is None
            assert message["From"].addresses[0].addr_spec == ORGANISATION["email"]
            assert len(message.get_all("From")) == 1 and len(message.get_all("Date")) == 1
            body = message.get_body(("plain",)).get_content()
            assert not any(line.startswith(("From:", "Bcc:")) for line in body.splitlines())


@pytest.mark.parametrize(
    "organisation_name",
    [
        "Testshire Council, Education Safeguarding",
        "Team <safeguarding@evil.example>",
        "Team\r\nX: 1",
    ],
)
def test_organisation_names_and_reply_to_that_look_like_addresses(
    project, tmp_path, organisation_name
):
    organisation = {**ORGANISATION, "name": organisation_name}
    delivery = {"reply_to": "replies@testshire.example\r\nBcc: attacker@evil.example"}
    with SmtpServer(RecordingHandler()) as server:
        publish(
            project,
            tmp_path,
            smtp_delivery(server, **delivery),
            [Subscriber("jo@oak.example", "Jo", "Oak", ("dsls",))],
            organisation,
        )
        project.run("send", "--mi", "1/24")
        [message] = [parsed(m) for m in server.handler.messages]
        assert message["From"].addresses[0].addr_spec == ORGANISATION["email"]
        assert message["Bcc"] is None and message["X"] is None
        assert server.handler.recipients == ["jo@oak.example"]


def test_over_long_subjects_are_folded(project, tmp_path):
    with SmtpServer(RecordingHandler()) as server:
        publish(project, tmp_path, smtp_delivery(server), [Subscriber("jo@oak.example", "Jo")])
        project.run("mi", "new", "--title", "Word " * 39, "--audience", "dsls")  # 195 long
        store = Store(project.data_dir)
        with store.transaction():
            store.save_subscribers([Subscriber("jo@oak.example", "Jo", "Oak", ("dsls",))])
        project.run("mi", "approve", "2")
        project.run("mi", "publish", "2", "--at", "2024-01-04 10:00")
        project.run("send", "--mi", "2/24")
        [raw] = server.handler.messages
        assert max(len(line) for line in raw.as_bytes().split(b"\n")) <= 998


ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def header_field(raw: bytes, name: str) -> list[str]:
    """The physical lines of one header field in a message's raw bytes."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
    lines, inside = [], False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if inside:
                lines.append(line)
        else:
            inside = line.lower().startswith(f"{name.lower()}:")
            if inside:
                lines.append(line)
    return lines


def decoded(lines: list[str]) -> str:
    """A field's value as an RFC 2047 reader shows it (unfolded, encoded words joined)."""
    value = "\n".join(lines).split(":", 1)[1].replace("\n", "").strip()
    return str(make_header(decode_header(value)))


def assert_folded_for_rfc_2047(lines: list[str]) -> None:
    assert all(len(word) <= 75 for line in lines for word in ENCODED_WORD.findall(line))
    assert all(len(line) <= 78 for line in lines), lines


@pytest.mark.parametrize(
    "ending",
    ["Zoë", "Ōtsuka 大塚", "😀 emoji", 'Siân, "Jo" <jo@evil.example> =?utf-8?q?x?='],
    ids=["latin", "cjk", "astral", "specials"],
)
def test_long_non_ascii_headers_are_folded_into_short_encoded_words(project, tmp_path, ending):
    title = "Very long title about the filtering standards " * 3 + ending
    name = "Siân Ó Ríordáin " * 12 + ending
    organisation = {**ORGANISATION, "name": "Cyngor Sir Ynys Môn — Diogelu Addysg " * 3}
    project.configure(NEWS, organisation=organisation, delivery={"via": "outbox"})
    store = Store(project.data_dir)
    with store.transaction():
        store.save_subscribers([Subscriber("jo@oak.example", name, "Oak", ("dsls",))])
    store.close()
    project.run("mi", "new", "--title", title, "--audience", "dsls")
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    project.run("send", "--mi", "1/24")
    [written] = (project.data_dir / "outbox").glob("*.eml")
    raw = written.read_bytes()
    subject, to, sender = (header_field(raw, field) for field in ("Subject", "To", "From"))
    for lines in (subject, to, sender, header_field(raw, "List-Id")):
        assert_folded_for_rfc_2047(lines)
    assert len(subject) > 1 and len(to) > 1
    assert decoded(subject).startswith("MI 1/24")
    assert decoded(subject).endswith(f": {header_text(title)}")
    assert decoded(to) == f"{header_text(name)} <jo@oak.example>"
    assert decoded(sender) == f"{header_text(organisation['name'])} <{ORGANISATION['email']}>"


@pytest.mark.parametrize(
    "name",
    ["\u202eevil\u202c", "\u2066evil\u2069", "e\u202dvi\u202cl", "\u202a\u202bevil", "evil\ufeff"],
)
def test_bidi_controls_in_stored_names_never_reach_the_headers(name):
    assert header_text(name) == "evil"
    message = build_message(
        subject=f"For {name}",
        sender=Mailbox("safeguarding@testshire.example", header_text(name)),
        to=Mailbox("jo@oak.example", header_text(name)),
        text="text",
        html="<p>html</p>",
    )
    raw = bytes(message)
    assert b"To: evil <jo@oak.example>" in raw and b"Subject: For evil" in raw


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300),
    name=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
)
def test_any_subject_and_name_stay_within_the_line_and_word_limits(subject, name):
    message = build_message(
        subject=subject,
        sender=Mailbox("safeguarding@testshire.example", "Safeguarding"),
        to=Mailbox("jo@oak.example", header_text(name)),
        text="text",
        html="<p>html</p>",
    )
    raw = bytes(message)
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    lines = header_field(raw, "Subject")
    if not header_text(subject).isascii():
        assert_folded_for_rfc_2047(lines)
    if header_text(subject).strip():
        assert decoded(lines) == header_text(subject)
    if not header_text(name).isascii():
        assert_folded_for_rfc_2047(header_field(raw, "To"))


# Exactly once, whatever runs at the same time --------------------------------------------


def test_concurrent_senders_send_each_message_once(project, tmp_path):
    people = [Subscriber(f"dsl{n}@school{n}.example", f"DSL {n}", "", ("dsls",)) for n in range(40)]
    with SmtpServer(RecordingHandler()) as server:
        publish(project, tmp_path, smtp_delivery(server, rate=0), people)
        for _ in range(3):  # rounds, each with three senders started together
            processes = [
                subprocess.Popen(
                    project.argv("send", "--mi", "1/24"),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                for _ in range(3)
            ]
            for process in processes:
                process.wait(timeout=60)
        counts = server.handler.count_by_recipient()
        assert set(counts) == {p.email for p in people}
        assert set(counts.values()) == {1}


def test_check_and_send_alerts_together_alert_once(govuk_change, project):
    """Several processes alerting at once: every change is alerted in one message, once."""
    for _ in range(3):
        govuk_change()
        processes = [
            subprocess.Popen(project.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for args in (("check",), ("send", "--alerts"), ("send", "--alerts"))
        ]
        for process in processes:
            process.wait(timeout=60)
    alerts = list((project.data_dir / "outbox").glob("*.eml"))
    ids = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Message-ID"]
        for path in alerts
    ]
    assert len(ids) == len(set(ids))
    store = Store(project.data_dir)
    unalerted = store.db.execute(
        "SELECT count(*) FROM changes WHERE kind != 'minor' AND alerted_at IS NULL"
    ).fetchone()[0]
    batches = store.db.execute(
        "SELECT count(DISTINCT alert_message_id) FROM changes WHERE kind != 'minor'"
    ).fetchone()[0]
    assert unalerted == 0
    assert len(alerts) == batches


class GovukPage:
    """A GOV.UK page on the local server that gains a change note at each ``change()``."""

    PATH = "/government/publications/working-together-to-safeguard-children--2"

    def __init__(self, server, project):
        self.server, self.project, self.count = server, project, 0
        self.content = json.loads(fixture_bytes("govuk/wttsc-v1.json"))
        self.body = json.dumps(self.content)
        server.expect_request(f"/api/content{self.PATH}").respond_with_handler(
            lambda request: Response(self.body, content_type="application/json")
        )
        self.configure()
        project.run("check")  # the baseline

    def configure(self, settings=None, **overrides):
        self.project.configure(
            [{"id": "wttsc", "kind": "govuk", "url": self.PATH}],
            settings={"govuk_base_url": self.server.url_for("").rstrip("/"), **(settings or {})},
            **overrides,
        )

    def change(self):
        self.count += 1
        when = f"2024-03-{self.count:02d}T10:00:00.000+00:00"
        self.content["details"]["change_history"].insert(
            0, {"public_timestamp": when, "note": f"Page {self.count}: amended"}
        )
        self.content["public_updated_at"] = when
        self.body = json.dumps(self.content)


@pytest.fixture
def govuk_change(server, project):
    return GovukPage(server, project).change


@pytest.fixture
def govuk_page(server, project):
    return GovukPage(server, project)


# Failing fast ----------------------------------------------------------------------------


def test_an_unreachable_server_stops_the_run_and_leaves_everything_pending(project, tmp_path):
    people = [Subscriber(f"dsl{n}@school{n}.example", "", "", ("dsls",)) for n in range(50)]
    delivery = {
        "via": "smtp",
        "rate": 0,
        "retries": 1,
        "retry_backoff": 0,
        "smtp": {"host": "127.0.0.1", "port": free_port(), "security": "none", "timeout": 2},
    }
    publish(project, tmp_path, delivery, people)
    result = project.run("send", "--mi", "1/24", expect=1)
    assert "stopped: SMTP server 127.0.0.1:" in result.stderr and "unreachable" in result.stderr
    assert "left for the next run 50" in result.stdout
    store = Store(project.data_dir)
    statuses = {row.status for row in store.deliveries("mi/1/24")}
    assert statuses == {"pending"}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_stops_the_run(project, tmp_path, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    class Refuses(RecordingHandler):
        pass

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    monkeypatch.setenv("PUBLISHER_SMTP_USERNAME", "publisher")
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "wrong")
    people = [Subscriber(f"dsl{n}@school{n}.example", "", "", ("dsls",)) for n in range(5)]
    server = SmtpServer(Refuses())
    server.controller.SMTP_kwargs.update(
        authenticator=authenticator, auth_require_tls=False, auth_required=True
    )
    with server:
        publish(project, tmp_path, smtp_delivery(server), people)
        result = project.run("send", "--mi", "1/24", expect=1)
    assert "login to 127.0.0.1:" in result.stderr and "refused" in result.stderr
    assert "left for the next run 5" in result.stdout


# Everyday options -------------------------------------------------------------------------


def test_test_copies_do_not_touch_the_send_log(project, tmp_path):
    with SmtpServer(RecordingHandler()) as server:
        publish(
            project,
            tmp_path,
            smtp_delivery(server),
            [Subscriber("jo@oak.example", "Jo", "", ("dsls",))],
        )
        result = project.run("send", "--mi", "1/24", "--test", "me@council.example")
        assert "Sent a [TEST] copy to me@council.example" in result.stdout
        [test] = [parsed(m) for m in server.handler.messages]
        assert str(test["Subject"]).startswith("[TEST] MI 1/24")
        assert server.handler.recipients == ["me@council.example"]
        assert project.run("send", "--mi", "1/24").stdout.startswith("Sent 1, failed 0")


def test_sending_to_nobody_is_said_and_exits_1(project, tmp_path):
    publish(project, tmp_path, {}, [])
    result = project.run("send", "--mi", "1/24", expect=1)
    assert "nobody would receive it: no subscribers in its audiences" in result.stderr
    project.run("send", "--mi", "1/24", "--allow-empty")


@pytest.mark.parametrize("audience", ["trustees", "DSLS", ""])
def test_unknown_audiences_are_an_error(project, tmp_path, audience):
    publish(project, tmp_path, {}, [Subscriber("jo@oak.example", "Jo", "", ("dsls",))])
    result = project.run("send", "--mi", "1/24", "--audience", audience, expect=2)
    assert "unknown audience" in result.output


def test_a_trial_to_the_outbox_does_not_stop_the_real_send(project, tmp_path):
    with SmtpServer(RecordingHandler()) as server:
        publish(
            project,
            tmp_path,
            smtp_delivery(server),
            [Subscriber("jo@oak.example", "Jo", "", ("dsls",))],
        )
        trial = project.run("send", "--mi", "1/24", "--via", "outbox")
        assert (
            "1 email written to" in trial.stdout
            and "(not sent: delivery.via is outbox)" in trial.stdout
        )
        assert server.handler.recipients == []
        real = project.run("send", "--mi", "1/24")
        assert real.stdout.startswith("Sent 1, failed 0, already sent 0")
        assert server.handler.recipients == ["jo@oak.example"]


def test_a_scheduled_send_goes_when_due(project, tmp_path):
    with SmtpServer(RecordingHandler()) as server:
        publish(
            project,
            tmp_path,
            smtp_delivery(server),
            [Subscriber("jo@oak.example", "Jo", "", ("dsls",))],
        )
        soon = datetime.now() + timedelta(days=30)  # within the year ahead a send may be set
        later = project.run("send", "--mi", "1/24", "--at", f"{soon:%Y-%m-%d} 07:00")
        assert f"Scheduled for {soon:%d/%m/%Y} 07:00" in later.stdout
        assert project.run("send", "--due").stdout == ""
        assert server.handler.recipients == []
        now = f"{datetime.now():%Y-%m-%d %H:%M}"
        project.run("send", "--mi", "1/24", "--at", now)  # due at once
        assert "Scheduled mi 1/24: Sent 1" in project.run("send", "--due").stdout
        assert project.run("send", "--due").stdout == ""  # once
        assert server.handler.recipients == ["jo@oak.example"]


def test_draft_mi_drafts_once_though_the_alert_is_refused_and_resent(govuk_page, project):
    handler = RecordingHandler(refuse={ORGANISATION["email"]: "451 4.3.0 Try again"})
    with SmtpServer(handler) as server:
        govuk_page.configure(
            settings={"alerts_via": "smtp"},
            organisation=ORGANISATION,
            delivery=smtp_delivery(server, retries=0),
        )
        govuk_page.change()
        refused = project.run("check", "--draft-mi", expect=1)
        assert "Alert NOT SENT" in refused.stdout
        handler.refuse.clear()
        project.run("check", "--draft-mi")
        assert handler.recipients == [ORGANISATION["email"]]
    drafts = project.run("mi", "list", "--status", "draft").stdout.splitlines()
    assert len(drafts) == 1


def _last_sunday(year: int, month: int) -> date:
    return max(
        date(year, month, day) for day in range(25, 32) if date(year, month, day).weekday() == 6
    )


def _next_last_sunday(month: int) -> date:
    """The next last Sunday of March (clocks forward) or October (clocks back), after today."""
    today = date.today()
    return next(
        day for year in (today.year, today.year + 1) if (day := _last_sunday(year, month)) > today
    )


@pytest.fixture
def published(project, tmp_path):
    publish(
        project, tmp_path, {"via": "outbox"}, [Subscriber("jo@oak.example", "Jo", "", ("dsls",))]
    )
    return project


@pytest.mark.parametrize("offset", ["+05:00", "-08:00", "+00:00", "Z", "+01:00"])
def test_a_send_time_with_an_offset_is_said_in_uk_time(published, offset):
    soon = date.today() + timedelta(days=30)
    at = f"{soon:%Y-%m-%d}T07:00:00{offset}"
    uk = datetime.fromisoformat(at).astimezone(ZoneInfo("Europe/London"))
    said = published.run("send", "--mi", "1/24", "--at", at).stdout
    assert said.startswith(f"Scheduled for {uk:%d/%m/%Y %H:%M %Z}: 1 recipient now")


@pytest.mark.parametrize("time", ["01:30", "01:00", "01:59:59"])
def test_a_send_time_the_uk_clocks_skip_is_refused(published, time):
    at = f"{_next_last_sunday(3):%Y-%m-%d} {time}"
    refused = published.run("send", "--mi", "1/24", "--at", at, expect=2).output
    assert f"{at} is in the hour the UK clocks skip" in refused
    assert refused.count("\n") == 1 and "Traceback" not in refused
    assert "Scheduled" not in refused


def test_a_send_time_in_the_repeated_autumn_hour_is_the_first_and_says_so(published):
    day = _next_last_sunday(10)
    said = published.run("send", "--mi", "1/24", "--at", f"{day:%Y-%m-%d} 01:30").stdout
    assert said.startswith(f"Scheduled for {day:%d/%m/%Y} 01:30 BST:")
    later = published.run("send", "--mi", "1/24", "--at", f"{day:%Y-%m-%d}T01:30+00:00").stdout
    assert later.startswith(f"Scheduled for {day:%d/%m/%Y} 01:30 GMT:")
