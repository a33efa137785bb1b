"""Reflow (WCAG 1.4.10): site pages and emails at 320, 390 and 600 px never scroll sideways,
whatever a feed or the team writes: long words and web addresses, preformatted text, deep
quotes, wide tables. Rendered in headless Chromium."""

import email
import email.policy
from html import escape

import pytest

from conftest import SITE_PAGES, assert_no_axe_violations
from publisher.serve import serve_directory

pytestmark = pytest.mark.browser

WIDTHS = [320, 390, 600]
LONG_URL = ("https://www.example.gov.uk/track?" + "&".join(f"utm_p{i}=v{i}" for i in range(40)))[
    :300
]
LONG_WORD = ("Safeguarding" * 42)[:500]
SUMMARIES = {
    "A long web address as text": f"<p>Read it at {LONG_URL} today.</p>",
    LONG_WORD: "<p>The title is one 500-character word.</p>",
    "Preformatted text": "<p>Log:</p><pre>" + "x" * 3000 + "</pre>",
    "Preformatted text with spaces": "<pre>" + "word " * 600 + "</pre>",
    "Fifty nested quotes": "<blockquote>" * 50 + "Deep words" + "</blockquote>" * 50,
    "Two hundred nested quotes": "<blockquote><p>" * 200 + "Deeper" + "</p></blockquote>" * 200,
    "A wide table": "<table><tr>"
    + "".join(f"<th>Column heading {i}</th>" for i in range(8))
    + "</tr><tr>"
    + "".join(f"<td>{LONG_URL if i == 3 else f'Value {i}'}</td>" for i in range(8))
    + "</tr></table>",
    "A 16,000-character word": "<p>" + "longword" * 2000 + "</p>",
    "A long word in a list": "<ul><li><code>" + "ab" * 400 + "</code></li></ul>",
}
SHEET_BODY = f"""Please read {LONG_URL} and reply.

| Role | Contact | Web address |
|------|---------|-------------|
| DSL | {LONG_WORD[:80]} | {LONG_URL} |

> > > > > > > > > > quoted ten times {LONG_WORD[:60]}

    {"y" * 800}
"""

SIDEWAYS = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  offscreen: [...document.querySelectorAll("main *, body > div *")]
    .filter(node => node.getClientRects().length && !node.closest("pre, .table-scroll, table"))
    .filter(node => node.getBoundingClientRect().right > innerWidth + 1)
    .map(node => node.tagName + ": " + node.textContent.trim().slice(0, 40)).slice(0, 5),
})"""


def hostile_feed() -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://long.example/{n}</link>"
        f"<guid>long-{n}</guid><pubDate>Wed, {n + 1:02d} Feb 2024 09:00:00 +0000</pubDate>"
        f"<description>{escape(body)}</description></item>"
        for n, (title, body) in enumerate(SUMMARIES.items(), 1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Long</title>'
        f"<link>https://long.example/</link><description>Long</description>{items}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def hostile_site(server, project, tmp_path):
    """A site and a bulletin email built from a feed of very long content, with an MI sheet
    whose title is one 200-character word (the longest allowed) and whose body has a wide
    table."""
    server.expect_request("/long.rss").respond_with_data(
        hostile_feed(), content_type="application/rss+xml"
    )
    project.configure(
        [{"id": "long", "kind": "feed", "url": server.url_for("/long.rss")}],
        bulletin={"sections": [{"title": "Online safety", "sources": ["long"]}]},
    )
    body = tmp_path / "body.md"
    body.write_text(SHEET_BODY)
    project.run(
        "mi", "new", "--title", LONG_WORD[:200], "--audience", "dsls", "--body-file", str(body)
    )
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-02-01T09:00")
    project.run("fetch")
    project.run("bulletin", "build", "--month", "2024-02")
    project.run("build", "--output", str(tmp_path / "site"))
    return tmp_path / "site", project.data_dir


def html_part(path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return message.get_body(("html",)).get_content()


def assert_reflows(page, label: str, width: int) -> None:
    found = page.evaluate(SIDEWAYS)
    assert found["scrollWidth"] <= width, f"{label} at {width} px is {found['scrollWidth']} px wide"
    assert found["offscreen"] == [], f"{label} at {width} px: text off screen {found['offscreen']}"


def test_site_pages_with_very_long_content_never_scroll_sideways(hostile_site, chromium):
    site, _ = hostile_site
    with serve_directory(site) as base_url:
        for width in WIDTHS:
            page = chromium.new_page(viewport={"width": width, "height": 800})
            try:
                for path in SITE_PAGES:
                    page.goto(base_url + path)
                    assert_reflows(page, path, width)
            finally:
                page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_demo_sites_tables_and_comparison_never_scroll_sideways(demo_site, chromium, width):
    page = chromium.new_page(viewport={"width": width, "height": 800})
    try:
        with serve_directory(demo_site / "site") as base_url:
            for path in ("mi/index.html", "subscribe.html", "changes/1.html", *SITE_PAGES[-2:]):
                page.goto(base_url + path)
                assert_reflows(page, path, width)
    finally:
        page.close()


def test_the_bulletin_email_with_very_long_content_never_scrolls_sideways(hostile_site, chromium):
    _, data_dir = hostile_site
    html = html_part(data_dir / "bulletins" / "2024-02" / "dsls.eml")
    for width in WIDTHS:
        page = chromium.new_page(viewport={"width": width, "height": 800})
        try:
            page.set_content(html)
            assert_reflows(page, "bulletin email", width)
            assert page.get_by_text("Deeper", exact=True).is_visible()
        finally:
            page.close()


def test_wide_tables_scroll_in_a_labelled_focusable_region(hostile_site, chromium):
    site, _ = hostile_site
    page = chromium.new_page(viewport={"width": 320, "height": 800})
    try:
        with serve_directory(site) as base_url:
            for path, name in (
                ("mi/index.html", "Published MI sheets, newest first"),
                ("subscribe.html", "Feeds and calendars for each audience"),
            ):
                page.goto(base_url + path)
                region = page.get_by_role("region", name=name)
                assert region.get_attribute("tabindex") == "0"
                assert region.evaluate("node => node.scrollWidth > node.clientWidth"), path
                region.focus()
                page.keyboard.press("ArrowRight")
                page.wait_for_function("node => node.scrollLeft > 0", arg=region.element_handle())
    finally:
        page.close()


def test_narrow_pages_with_very_long_content_have_no_axe_violations(hostile_site, chromium):
    site, _ = hostile_site
    with serve_directory(site) as base_url:
        paths = ("mi/index.html", "mi/mi-1-24.html", "bulletins/2024-02/dsls.html")
        assert_no_axe_violations(chromium, base_url, paths, width=320)


def test_the_demo_sites_narrow_tables_have_no_axe_violations(demo_site, chromium):
    with serve_directory(demo_site / "site") as base_url:
        paths = ("mi/index.html", "subscribe.html", "changes/1.html")
        assert_no_axe_violations(chromium, base_url, paths, width=320)
