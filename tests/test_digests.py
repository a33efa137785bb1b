"""Weekly digests and who gets what by frequency: immediate readers get each MI sheet,
weekly readers one digest of last week, monthly readers the bulletin only."""

import email
import email.policy
from datetime import date, timedelta

from publisher.dates import UK
from publisher.digests import digest_week


def test_the_digest_covers_the_last_whole_week():
    for today in (date(2024, 2, 12), date(2024, 2, 14), date(2024, 2, 18)):  # Mon, Wed, Sun
        start, end = digest_week(today)
        assert (start.date(), end.date()) == (date(2024, 2, 5), date(2024, 2, 12))
        assert start.tzinfo == UK and start.weekday() == 0


def test_a_digest_to_weekly_readers_once_and_sheets_to_immediate_readers_only(project, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    (tmp_path / "s.csv").write_text(
        "email,name,school,audiences,frequency\n"
        "now@oak.example,Jo,Oak,dsls,immediately\n"
        "week@ash.example,Kim,Ash,dsls,weekly\n"
        "month@elm.example,Sam,Elm,dsls,monthly\n"
    )
    project.run("subscribers", "import", str(tmp_path / "s.csv"))
    start, _ = digest_week(date.today())
    published = start + timedelta(days=1, hours=10)
    project.run("mi", "new", "--title", "Filtering audit", "--audience", "dsls", "--due", "5")
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", f"{published:%Y-%m-%d %H:%M}")
    number = f"1/{published:%y}"
    sent = project.run("send", "--mi", number).output
    assert sent.startswith("Sent 1, failed 0")  # the immediate reader only

    outbox = project.data_dir / "outbox"
    before = set(outbox.glob("*.eml"))
    assert project.run("send", "--digests").output.startswith("Sent 1, failed 0")
    [digest] = set(outbox.glob("*.eml")) - before
    message = email.message_from_bytes(digest.read_bytes(), policy=email.policy.default)
    assert message["To"] == "Kim <week@ash.example>"
    assert "weekly digest" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert f"MI {number} ACTION" in text and "Filtering audit" in text
    assert project.run("send", "--digests").output.startswith("Sent 0, failed 0, already sent 1")


def test_a_week_with_nothing_sends_no_digest(project, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    (tmp_path / "s.csv").write_text(
        "email,name,school,audiences,frequency\nweek@ash.example,Kim,Ash,dsls,weekly\n"
    )
    project.run("subscribers", "import", str(tmp_path / "s.csv"))
    assert project.run("send", "--digests").output.startswith("Sent 0, failed 0, already sent 0")
    assert not list((project.data_dir / "outbox").glob("*.eml"))
