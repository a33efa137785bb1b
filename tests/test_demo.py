import email
import email.policy
import re

import feedparser
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser

from publisher.cli import cli


def run_demo(directory):
    result = CliRunner().invoke(cli, ["demo", str(directory)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_demo_runs_the_whole_pipeline_offline(tmp_path):
    output = run_demo(tmp_path / "demo")
    assert "Serving sample data at http://127.0.0.1:" in output
    assert "fetched ofcom: 3 new, 0 updated, 0 unchanged" in output
    assert "detected: major change, 4 references:" in output
    assert "    page 26, paragraph 48  | Page 26, paragraph 48: amended the wording" in output
    assert (
        "compared the replaced PDF with the new upload: "
        "The documents confirm 4 of the note's 4 page or paragraph references." in output
    )
    comparison = (tmp_path / "demo" / "site" / "changes" / "1.html").read_text()
    assert "mailbox@childsafeguardingpanel.gov.uk" in comparison

    site = tmp_path / "demo" / "site"
    html = (site / "updates.html").read_text()
    assert "Ofcom publishes its Protection of Children Codes of Practice" in html
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html

    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    # 11 items; SWGfL's copy of Ofcom's "Children's media lives" is the same story.
    assert len(feed.entries) == 10
    assert len({entry.link.split("?")[0].rstrip("/") for entry in feed.entries}) == 10
    assert all(entry.id for entry in feed.entries)

    [eml] = (tmp_path / "demo" / "outbox").glob("Jo-Patel*MI-1-24*.eml")
    assert "Published MI 1/24, MI 2/24; built the February 2024 bulletin (4 entries)" in output
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == (
        "MI 1/24 ACTION by 12/01/2024: "
        "Working Together to Safeguard Children: updated statutory guidance"
    )
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "Jo Patel <dsl@oak-primary.example>"
    assert message["List-Unsubscribe"].startswith("<mailto:")
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("For Jo Patel (Oak Primary School)\n")
    assert "\n! To be completed by 12 January 2024\n" in text
    assert "MI number: 1/24\nPublication date: 03/01/2024 10:00\n" in text
    assert "To be completed by: 12/01/2024" in text
    assert "\nSummary\n-------\n" in text  # markdown read as text, not shown raw
    assert "**" not in text and "## " not in text and "_Working" not in text
    [bulletin] = (tmp_path / "demo" / "outbox").glob("Jo-Patel*bulletin*.eml")
    bulletin_text = (
        email.message_from_bytes(bulletin.read_bytes(), policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
    )
    assert "\nRead more: https://www.ofcom.org.uk/" in bulletin_text
    html_part = message.get_body(("html",)).get_content()
    assert "<mj-" not in html_part  # compiled, not raw MJML
    assert "mj-column-per-100" in html_part  # the class names MJML's compiler emits
    fields = {
        field.css_first("strong").text(): field.text(deep=True, separator="|").split("|")[-1]
        for field in LexborHTMLParser(html_part).css("p")
        if field.css_first("strong")
    }
    assert fields["Audience"] == "Headteachers, Designated Safeguarding Leads (DSLs), Governors"
    assert fields["To be completed by"] == "12/01/2024"


def test_demo_runs_twice_with_the_same_story(tmp_path):
    first = run_demo(tmp_path / "demo")
    second = run_demo(tmp_path / "demo")
    assert "fetched ofcom: 3 new, 0 updated, 0 unchanged" in second
    assert "detected: major change, 4 references:" in second
    # MI 1/24 and the bulletin for 4 subscribers each, and the alert: the same after a rerun.
    assert len(list((tmp_path / "demo" / "outbox").glob("*.eml"))) == 9
    assert comparable(first) == comparable(second)


def comparable(output: str) -> str:
    """The demo's output without what differs between runs: its server's port, its timing
    and the alert's Message-ID in the outbox file name."""
    output = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", output)
    output = re.sub(r"-[0-9a-f]{10}\.eml", "-ID.eml", output)
    output = re.sub(r"password \S+", "password PASSWORD", output)
    return re.sub(r"finished in [\d.]+s", "finished in Ns", output)


def test_demo_will_not_reuse_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not empty and was not made by 'publisher demo'" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"
