"""Weekly digests and who gets what by frequency: immediate readers get each MI sheet,
weekly readers one digest of last week, monthly readers the bulletin only."""

import email
import email.policy
import json
import re
from datetime import date, timedelta

from publisher.dates import UK
from publisher.digests import digest_week

FREQUENCY_COLUMNS = "email,name,school,audiences,frequency"


def web_app(project):
    from publisher.config import load_config
    from publisher.sources import source_kinds
    from publisher.web import create_app, limiter

    config = load_config(project.config_path, source_kinds())
    app = create_app(config, project.data_dir, project.path / "site")
    limiter.reset()  # per-client limits are counted in memory, across apps
    return app


def test_the_digest_covers_the_last_whole_week():
    for today in (date(2024, 2, 12), date(2024, 2, 14), date(2024, 2, 18)):  # Mon, Wed, Sun
        start, end = digest_week(today)
        assert (start.date(), end.date()) == (date(2024, 2, 5), date(2024, 2, 12))
        assert start.tzinfo == UK and start.weekday() == 0


def test_a_digest_to_weekly_readers_once_and_sheets_to_immediate_readers_only(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    project.import_subscribers(
        "now@oak.example,Jo,Oak,dsls,immediately",
        "week@ash.example,Kim,Ash,dsls,weekly",
        "month@elm.example,Sam,Elm,dsls,monthly",
        columns=FREQUENCY_COLUMNS,
    )
    start, _ = digest_week(date.today())
    published = start + timedelta(days=1, hours=10)
    number = project.publish_sheet("Filtering audit", f"{published:%Y-%m-%d %H:%M}", "--due", "5")
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

    # The digest reader confirms from their preferences page, and the team sees it.
    manage = re.search(r"confirm it from your preferences page:\n(\S+)", text).group(1)
    client = web_app(project).test_client()
    page = client.get(manage.removeprefix("http://localhost:8000")).get_data(as_text=True)
    confirm = re.search(r'href="http://localhost(?::\d+)?(/actions/[^"]+)"', page).group(1)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(confirm).get_data(as_text=True)
    )
    client.post(confirm, data={"csrf_token": token.group(1)})
    status = json.loads(project.run("mi", "status", number, "--format", "json").output)
    assert {row["school"]: row["status"] for row in status}["Ash"] == "confirmed"


def test_a_week_with_nothing_sends_no_digest(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    project.import_subscribers("week@ash.example,Kim,Ash,dsls,weekly", columns=FREQUENCY_COLUMNS)
    assert project.run("send", "--digests").output.startswith("Sent 0, failed 0, already sent 0")
    assert not list((project.data_dir / "outbox").glob("*.eml"))
