"""Internationalised addresses: a domain in any script is delivered (as IDNA, punycode);
letters outside ASCII before the @ need SMTPUTF8, which publisher does not send, so such
addresses are refused where they come in, and one stored before fails alone, readably."""

import json

import pytest
from smtp_server import RecordingHandler, SmtpServer
from test_delivery import ORGANISATION, smtp_delivery
from test_web import outbox, subscribe, web  # noqa: F401 - web is a fixture

from publisher.store import Store
from publisher.subscribers import Subscriber, canonical_email

NEWS = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}]
PUNYCODE = "idn@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "typed",
    [
        "idn@bücher.example",
        "IDN@BÜCHER.Example",
        " idn@bücher.example\t",
        "idn@bu\u0308cher.example",  # ü as u and a combining diaeresis (NFD, as macOS types)
        "idn@xn--bcher-kva.example",
        "IDN@XN--BCHER-KVA.EXAMPLE",
    ],
    ids=["unicode", "upper case", "spaces", "decomposed", "punycode", "punycode upper"],
)
def test_an_international_domain_is_kept_in_the_form_mail_carries(typed):
    assert canonical_email(typed) == PUNYCODE


@pytest.mark.parametrize(
    "typed",
    [
        "zoë@school.example",
        "ZOË@school.example",
        "zoe\u0308@school.example",
        "δοκιμή@παράδειγμα.δοκιμή",
        "用户@例子.广告",
        "jo\u00a0smith@school.example",
    ],
    ids=["diaeresis", "upper case", "decomposed", "greek", "chinese", "no-break space"],
)
def test_letters_outside_ascii_before_the_at_are_refused_with_the_reason(typed):
    with pytest.raises(ValueError) as refused:
        canonical_email(typed)
    reason = str(refused.value)
    assert "codec" not in reason and "\n" not in reason
    assert "before the @" in reason or "not an email address" in reason


def test_import_keeps_idn_domains_and_refuses_non_ascii_local_parts_by_line(project, tmp_path):
    project.configure(NEWS)
    path = tmp_path / "u.csv"
    path.write_text(
        "email,name,school,audiences\n"
        "idn@bücher.example,x,y,dsls\n"
        "zoë@school.example,Zoe,S,governors\n"
        "jo@oak.example,Jo,Oak,dsls\n",
        encoding="utf-8",
    )
    result = project.run("subscribers", "import", str(path))
    assert f"{path} line 3: 'zoë@school.example' cannot be sent to: 'ë' before the @" in (
        result.stderr
    )
    assert "codec" not in result.output
    assert result.stdout.startswith("Imported 2 new subscribers")
    listed = json.loads(project.run("subscribers", "list", "--format", "json").output)
    assert sorted(row["email"] for row in listed) == ["idn@xn--bcher-kva.example", "jo@oak.example"]


def test_subscribe_refuses_a_non_ascii_local_part_and_takes_an_idn_domain(web, project):  # noqa: F811
    client = web().test_client()
    refused = subscribe(client, "zoë@school.example")
    assert refused.status_code == 400 and outbox(project) == []
    assert "letters other than A to Z before the @" in refused.get_data(as_text=True)
    accepted = subscribe(client, "idn@bücher.example")
    assert accepted.headers["Location"] == "/subscribe/check-your-email"
    [confirmation] = outbox(project)
    assert b"To: idn@xn--bcher-kva.example" in confirmation.read_bytes()


def publish_to(project, subscribers, delivery):
    project.configure(NEWS, organisation=ORGANISATION, delivery=delivery)
    store = Store(project.data_dir)
    with store.transaction():  # as an older publisher stored them, unchecked
        store.save_subscribers(subscribers)
    store.close()
    project.run("mi", "new", "--title", "Filtering standards", "--audience", "dsls")
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")


def test_stored_international_addresses_go_or_fail_alone_with_a_reason(project):
    people = [
        Subscriber("idn@bücher.example", "Idn", "Bücher", ("dsls",)),
        Subscriber("zoë@school.example", "Zoë", "School", ("dsls",)),
        Subscriber("jo@oak.example", "Jo", "Oak", ("dsls",)),
    ]
    with SmtpServer(RecordingHandler()) as server:
        publish_to(project, people, smtp_delivery(server))
        first = project.run("send", "--mi", "1/24", expect=1)
        assert first.stdout.startswith("Sent 2, failed 1")
        [failure] = [line for line in first.stderr.splitlines() if "zoë" in line]
        assert failure.startswith("  zoë@school.example: 'zoë@school.example' cannot be sent to")
        assert "codec" not in first.output and "could not build" not in first.output
        assert sorted(server.handler.recipients) == [PUNYCODE, "jo@oak.example"]
        [to_idn] = [m for m in server.handler.messages if PUNYCODE in str(m["To"])]
        assert to_idn["To"].addresses[0].addr_spec == PUNYCODE

        again = project.run("send", "--mi", "1/24")  # failed for good: not tried again
        assert again.stdout.startswith("Sent 0, failed 0, already sent 2")
        assert len(server.handler.messages) == 2

    project.run("subscribers", "remove", "zoë@school.example")
    listed = json.loads(project.run("subscribers", "list", "--format", "json").output)
    assert "zoë@school.example" not in {row["email"] for row in listed}


def test_stored_international_addresses_in_the_outbox(project):
    people = [Subscriber("zoë@school.example", "Zoë", "School", ("dsls",))]
    people.append(Subscriber("idn@bücher.example", "Ünal Ağaoğlu", "Bücher", ("dsls",)))
    publish_to(project, people, {"via": "outbox"})
    result = project.run("send", "--mi", "1/24", expect=1)
    assert "Sent 1, failed 1" in result.stdout and "codec" not in result.output
    [written] = (project.data_dir / "outbox").glob("*.eml")
    raw = written.read_bytes()
    assert b"<idn@xn--bcher-kva.example>" in raw
    raw.decode("ascii")  # every header and body line is ASCII
