"""Hostile and malformed input, class by class, through the CLI: unsafe URLs, markup that
comes back to life, control characters, terminal escapes, malformed GOV.UK JSON, runaway
nesting. Each class is closed at the one boundary every path goes through."""

import email
import email.errors
import email.generator
import email.policy
import html
import io
import json
import re
import time
from urllib.parse import urlsplit

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser
from werkzeug import Response

from conftest import fixture_bytes
from publisher.bulletins import BulletinError, parse_editorial
from publisher.models import Notice
from publisher.notices import NoticeError
from publisher.sanitise import clean_html, feed_summary_html, html_to_text, title_for_feed_readers
from publisher.sheet_files import from_markdown
from publisher.text import without_controls
from publisher.urls import join_on_host, safe_url, site_link
from publisher.yaml_files import load_yaml

UNSAFE_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "javascript://%0aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "\x01javascript:alert(1)",
]


def rss(*items: str) -> bytes:
    body = "".join(items)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link><description>d</description>{body}</channel></rss>"
    ).encode()


def item(title: str, link: str, guid: str, description: str = "Text") -> str:
    from xml.sax.saxutils import escape

    return (
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{escape(guid)}</guid>'
        "<pubDate>Wed, 14 Feb 2024 09:00:00 +0000</pubDate>"
        f"<description>{escape(description)}</description></item>"
    )


def every_output(project, tmp_path) -> dict[str, str]:
    """Build everything a reader sees from what is stored."""
    project.run("bulletin", "build", "--month", "2024-02")
    project.run("build", "--output", str(tmp_path / "site"))
    site = tmp_path / "site"
    message = email.message_from_bytes(
        (project.data_dir / "bulletins" / "2024-02" / "dsls.eml").read_bytes(),
        policy=email.policy.default,
    )
    return {
        "updates page": (site / "updates.html").read_text(),
        "bulletin page": (site / "bulletins" / "2024-02" / "dsls.html").read_text(),
        "items feed": (site / "feed.xml").read_text(),
        "email html": message.get_body(("html",)).get_content(),
        "email text": message.get_body(("plain",)).get_content(),
    }


def hrefs(html: str) -> list[str]:
    return [node.attributes.get("href") or "" for node in LexborHTMLParser(html).css("a")]


@pytest.fixture
def news(server, project):
    """A feed source on the local server serving ``body``; returns a function to set it."""

    def serve(body: bytes):
        server.clear()
        server.expect_request("/news.rss").respond_with_data(
            body, content_type="application/rss+xml"
        )
        project.configure(
            [{"id": "news", "kind": "feed", "url": server.url_for("/news.rss")}],
            bulletin={"sections": [{"title": "Online safety", "sources": ["news"]}]},
        )

    return serve


# URLs ------------------------------------------------------------------------------------


def test_unsafe_links_never_become_live_anywhere(news, project, tmp_path):
    news(
        rss(
            item("Safe story", "https://ok.example/safe", "safe"),
            *(item(f"Unsafe {n}", link, f"bad-{n}") for n, link in enumerate(UNSAFE_LINKS)),
        )
    )
    fetched = project.run("fetch").output
    # feedparser itself resolves some (entity-mangled) ones against the feed's address: those
    # are harmless paths on the feed's own host; every other one is dropped and said.
    assert fetched.count("skipped an item whose link is not a web address") >= 10
    stored = project.items()
    assert all(row["url"].startswith(("https://", "http://127.0.0.1:")) for row in stored)
    outputs = every_output(project, tmp_path)
    for name in ("updates page", "bulletin page", "email html"):
        schemes = {urlsplit(href).scheme for href in hrefs(outputs[name])}
        assert schemes <= {"http", "https", "mailto", ""}, (name, schemes)
        assert "https://ok.example/safe" in hrefs(outputs[name]), name
    feed = feedparser.parse(outputs["items feed"])
    assert all(entry.link.startswith(("http://", "https://")) for entry in feed.entries)
    assert not re.search(r"(?<![\w/&;])(javascript|vbscript|data|file):", outputs["email text"])


@pytest.mark.parametrize("link", UNSAFE_LINKS)
def test_the_url_policy_refuses_each_unsafe_scheme(link):
    assert safe_url(link, "https://news.example/feed") is None
    assert site_link(link, "../") is None


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/news/1", "https://news.example/news/1"),
        ("story.html", "https://news.example/feed/story.html"),
        ("https://ok.example/a b", "https://ok.example/a%20b"),
        ("HTTPS://OK.EXAMPLE/x", "HTTPS://OK.EXAMPLE/x"),
        ("//cdn.example/x", "https://cdn.example/x"),
    ],
)
def test_relative_and_odd_but_safe_links_are_resolved(link, expected):
    assert safe_url(link, "https://news.example/feed/") == expected


@given(st.text())
def test_whatever_the_text_a_safe_url_is_a_web_address(text):
    url = safe_url(text, "https://news.example/")
    if url is not None:
        assert url.lower().startswith(("http://", "https://"))
        assert not any(ord(c) < 33 or 127 <= ord(c) < 160 for c in url)
    link = site_link(text, "../")
    if link is not None and ":" in link.split("/", 1)[0]:
        assert link.lower().startswith(("http:", "https:"))


@pytest.mark.parametrize(
    "path",
    ["@evil.example/x", "//evil.example/x", "https://evil.example/x", "/\\evil.example", ["/x"]],
)
def test_govuk_paths_cannot_leave_govuk(path):
    joined = join_on_host("https://www.gov.uk", path)
    assert joined is None or joined.startswith("https://www.gov.uk/")


def test_a_govuk_page_whose_base_path_tries_to_leave_fails_by_name(server, project):
    content = json.loads(fixture_bytes("govuk/wttsc-v1.json"))
    content["base_path"] = "@evil.example/phish"
    wttsc = "/government/publications/working-together-to-safeguard-children--2"
    server.expect_request(f"/api/content{wttsc}").respond_with_json(content)
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": wttsc}],
        settings={"govuk_base_url": server.url_for("").rstrip("/")},
    )
    project.run("fetch")
    [stored] = project.items()
    assert stored["url"].startswith(server.url_for("/@evil.example/phish"))  # a path, on GOV.UK


def test_search_results_linking_off_govuk_are_skipped(server, project):
    results = json.loads(fixture_bytes("govuk/search-v1.json"))
    results["results"][0]["link"] = "//evil.example/x"
    results["results"][1]["link"] = "https://evil.example/y"
    server.expect_request("/api/search.json").respond_with_json(results)
    project.configure(
        [{"id": "dfe", "kind": "govuk-search"}],
        settings={"govuk_base_url": server.url_for("").rstrip("/")},
    )
    project.run("fetch")
    urls = [row["url"] for row in project.items()]
    assert urls and all(url.startswith(server.url_for("/")) for url in urls)  # on GOV.UK only
    assert len(urls) == len(results["results"]) - 1  # '//evil.example/x' skipped


# Markup that comes back to life ----------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "&lt;img src=x onerror=alert(1)&gt;",
        "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;Story",
        "<b>&lt;svg onload=alert(1)&gt;</b>",
    ],
)
def test_escaped_tags_do_not_come_back_as_markup_in_feed_titles(title):
    text = title_for_feed_readers(title)
    assert "<" not in text.replace("< ", "") or "onerror" not in text
    assert "onerror" not in text and "onload" not in text and "<script" not in text


def test_feed_titles_carry_no_revived_markup(news, project, tmp_path):
    news(rss(item("Safe &lt;img src=x onerror=alert(1)&gt; story", "https://ok.example/1", "1")))
    project.run("fetch")
    outputs = every_output(project, tmp_path)
    feed = feedparser.parse(outputs["items feed"])
    assert "onerror" not in feed.entries[0].title
    assert "Safe" in feed.entries[0].title


def test_text_that_merely_looks_like_a_comparison_survives():
    assert html_to_text("Pupils aged &lt; 11 and &gt; 4") == "Pupils aged < 11 and > 4"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Email the DSL team &lt;dsl@school.example&gt; today", "<dsl@school.example>"),
        ("Pupils where a&lt;b and b&gt;c", "a<b and b>c"),
        ("New &lt;Online Safety Act&gt; duties", "New <Online Safety Act> duties"),
        ("&amp;lt;script&amp;gt; is shown as written", "&lt;script&gt; is shown"),
        ("<p>Write to &lt;<a href='mailto:a@b.example'>a@b.example</a>&gt;</p>", "<a@b.example>"),
    ],
)
def test_html_is_read_once_so_text_that_mentions_brackets_keeps_them(html, text):
    assert text in html_to_text(html)


def test_a_feed_that_escapes_brackets_shows_them_to_readers(news, project, tmp_path):
    title = "Email the DSL team &lt;dsl@school.example&gt; today"  # as a feed writes "<" twice
    news(rss(item(title, "https://ok.example/1", "1", "Write to &lt;dsl@school.example&gt;")))
    project.run("fetch")
    outputs = every_output(project, tmp_path)
    for name in ("updates page", "bulletin page", "email html"):
        assert "Email the DSL team &lt;dsl@school.example&gt; today" in outputs[name], name
    assert "Email the DSL team <dsl@school.example> today" in outputs["email text"]


@pytest.mark.parametrize(
    "date",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:59:59+01:00",
        "9999-12-31T23:00:00-05:00",
        "9999-12-31T23:59:59-00:01",
        "0001-01-01T00:00:00Z",  # placeholders: DateTime.MinValue, a year 100, the 1900s
        "0100-01-01T01:00:00Z",
        "1900-01-01T00:00:00Z",
    ],
)
def test_an_entry_dated_beyond_the_calendar_loses_its_date_not_the_feed(server, project, date):
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>T</title><id>urn:t</id><updated>2024-02-14T09:00:00Z</updated>"
        '<entry><title>Odd</title><id>urn:odd</id><link href="https://ok.example/odd"/>'
        f"<updated>{date}</updated><published>{date}</published></entry>"
        '<entry><title>Good</title><id>urn:good</id><link href="https://ok.example/good"/>'
        "<updated>2024-02-14T09:00:00Z</updated></entry></feed>"
    )
    server.expect_request("/news.atom").respond_with_data(atom, content_type="application/atom+xml")
    project.configure([{"id": "news", "kind": "feed", "url": server.url_for("/news.atom")}])
    assert "FAILED" not in project.run("fetch").output
    stored = {row["title"]: row for row in project.items()}
    assert stored["Good"]["published"] is not None or stored["Good"]["updated"] is not None
    assert stored["Odd"]["published"] is None and stored["Odd"]["updated"] is None


def atom_entries(*entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>T</title><id>urn:t</id><updated>2024-02-14T09:00:00Z</updated>{''.join(entries)}"
        "</feed>"
    ).encode()


@pytest.mark.parametrize("ahead", ["2099-12-31T00:00:00Z", "9999-01-01T00:00:00+00:00"])
def test_an_item_dated_years_ahead_does_not_head_every_list(server, project, ahead):
    body = atom_entries(
        '<entry><title>Ahead</title><id>urn:a</id><link href="https://ok.example/a"/>'
        f"<updated>{ahead}</updated></entry>",
        '<entry><title>Today</title><id>urn:b</id><link href="https://ok.example/b"/>'
        "<updated>2024-02-14T09:00:00Z</updated></entry>",
    )
    server.expect_request("/news.atom").respond_with_data(body, content_type="application/atom+xml")
    project.configure([{"id": "news", "kind": "feed", "url": server.url_for("/news.atom")}])
    project.run("fetch")
    stored = {row["title"]: row for row in project.items()}
    assert stored["Ahead"]["updated"] is None and stored["Today"]["updated"] is not None


def test_an_entry_without_a_link_is_said_so(server, project):
    body = atom_entries(
        "<entry><title>Linkless</title><updated>2024-02-14T09:00:00Z</updated></entry>"
    )
    server.expect_request("/news.atom").respond_with_data(body, content_type="application/atom+xml")
    project.configure([{"id": "news", "kind": "feed", "url": server.url_for("/news.atom")}])
    output = project.run("fetch").output
    assert "skipped an item without a link" in output and "''" not in output


# Control characters and terminal escapes ------------------------------------------------


@pytest.mark.parametrize(
    "dirty",
    [
        "Title\x01 one",
        "Title\x0b one",
        "Title\x1b[31m one",
        "Title\ufffe one",
        "Title\x7f one",
        # written as character references, which every output decodes
        "Title&#1; one",
        "Title&#x1B; one",
        "Title&#X7f; one",
        "Title&#0; one",
        "Title&#65534; one",
        "Title&#x1 one",  # HTML needs no semicolon
        "Title&#x81; one",  # one of the five C1 codes HTML does not read as Windows-1252
        "Title&#xD800; one",
        # bidi overrides and isolates, raw and as references ("gnp.exe" shown as "exe.png")
        "Title\u202e one",
        "Title\u2066 one",
        "Title&#x202E; one",
        "Title&#8294; one",
        "Title\ufeff one",
        # an escape sequence whose ESC (or BEL) is a reference goes whole, as a raw one does
        "Title&#x1b;[31m one",
        "Title&#27;[2J one",
        "Title&#x1B;]0;pwned&#7; one",
        "Title&#&#1;1; one",  # a reference left once the inner one goes
    ],
)
def test_control_characters_never_break_builds_or_emails(news, project, tmp_path, dirty):
    news(rss(item(dirty, "https://ok.example/1", "1", f"Summary {dirty}")))
    project.run("fetch")
    outputs = every_output(project, tmp_path)  # feedgen and MJML would fail on them
    for name, text in outputs.items():
        assert "Title one" in text, name
    assert feedparser.parse(outputs["items feed"]).bozo == 0


def test_terminal_escapes_are_not_printed(news, project):
    news(rss(item("Harmless\x1b]0;pwned\x07\x1b[2J title", "https://ok.example/1", "1")))
    project.run("fetch")
    listed = project.run("items").output
    assert "\x1b" not in listed and "\x07" not in listed
    assert "Harmless title" in listed


def test_runaway_nesting_is_cut_down_before_sanitising(news, project, tmp_path):
    nested = "<div>" * 200_000 + "deep" + "</div>" * 200_000
    news(rss(item("Nested", "https://ok.example/1", "1", nested)))
    project.run("fetch")
    [stored] = project.items()
    assert len(stored["summary"]) < 25_000 and stored["summary"].endswith("[shortened]")
    every_output(project, tmp_path)


# Runaway YAML: feeds.yaml, a bulletin's editorial, an MI sheet's front matter -------------


@pytest.mark.parametrize(
    "quotes",
    [
        "<blockquote>" * 200 + "deep" + "</blockquote>" * 200,
        "<BLOCKQUOTE><p>x</p>" * 50 + "deep" + "</BLOCKQUOTE>" * 50,
        "<blockquote>" * 300 + "deep",  # never closed
    ],
)
def test_quotes_nest_three_deep_at_most_in_what_readers_get(news, project, tmp_path, quotes):
    news(rss(item("Quoted", "https://ok.example/1", "1", quotes)))
    project.run("fetch")
    outputs = every_output(project, tmp_path)
    for name in ("bulletin page", "email html"):
        tree = LexborHTMLParser(outputs[name])
        assert tree.css("blockquote blockquote blockquote") and not tree.css(
            "blockquote blockquote blockquote blockquote"
        ), name
        assert "deep" in outputs[name], name


def laughs(levels: int = 9, tag: str = "") -> str:
    """A 'billion laughs': each list repeats the one before ten times, by alias."""
    lines = [f"lol0: &a0 {tag}[{', '.join(['k: x'] * 10)}]"]
    lines += [f"lol{n}: &a{n} {tag}[{', '.join([f'k: *a{n - 1}'] * 10)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def chain_of_aliases(links: int = 1700, stride: int = 17) -> str:
    """Each link a list holding the one before; the walk below uses every 17th, so that no
    single use is more than 20 levels deeper than one already seen."""
    lines = ["hide: !!pairs", "  - k0: &a0 {k: 1}"]
    lines += [f"  - k{n}: &a{n} [*a{n - 1}]" for n in range(1, links)]
    lines.append(f"walk: [{', '.join(f'*a{n}' for n in range(stride, links, stride))}]")
    return "\n".join(lines) + "\n"


SHEET = Notice(type="information", title="Before", contact="Jo")

# name: (YAML, the line of the problem within it or None, what is said of it)
RUNAWAY_YAML = {
    "deep-flow-list": ("top: " + "[" * 3000 + "]" * 3000 + "\n", None, "nested too deeply"),
    "deep-flow-mapping": ("top: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", None, "too deeply"),
    "deep-block-list": (
        "top:\n" + "".join("  " * depth + "- \n" for depth in range(1, 40)),
        1,
        "nested more than 20 levels deep",
    ),
    "list-inside-itself": ("top: &s [*s]\n", 1, "an alias (*name) is used inside its own"),
    "mapping-inside-itself": (
        "top: &m {name: X, again: *m}\n",
        1,
        "an alias (*name) is used inside its own",
    ),
    "inside-itself-further-down": (
        "top:\n  a: &m\n    b: [1, {c: *m}]\n",
        2,  # where the anchor is
        "an alias (*name) is used inside its own",
    ),
    "billion-laughs": (laughs(), 6, "stands for more than 1,000,000 values"),
    "billion-laughs-of-pairs": (laughs(tag="!!pairs "), 6, "stands for more than 1,000,000"),
    "deep-chain-of-aliases": (chain_of_aliases(), None, "nested more than 20 levels deep"),
}

# name: YAML that PyYAML reads (or half reads) into something no file of ours holds
ODD_YAML = {
    "list-as-key": "? [a, b]\n: c\n",
    "map-tag-on-text": "top: !!map x\n",
    "map-tag-on-list": "top: !!map [a, b]\n",
    "timestamp-tag-on-text": "top: !!timestamp soon\n",
}


def runaway_cases():
    return pytest.mark.parametrize(
        ("text", "line", "problem"), list(RUNAWAY_YAML.values()), ids=list(RUNAWAY_YAML)
    )


def said(line: int | None, lines_before: int, problem: str) -> str:
    return f"line {line + lines_before}: {problem}" if line else problem


@runaway_cases()
def test_runaway_yaml_in_feeds_yaml_is_one_line_of_error(project, text, line, problem):
    project.config_path.write_text("organisation: {name: Testshire}\nsources: []\n" + text)
    result = project.run("sources", expect=2)
    assert said(line, 2, problem) in result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


@runaway_cases()
def test_runaway_yaml_in_an_editorial_is_refused_by_line(text, line, problem):
    with pytest.raises(BulletinError) as refused:
        parse_editorial("intro: Hello\n" + text, "editorial.yaml")
    assert str(refused.value).startswith("editorial.yaml")
    assert "not valid YAML" in str(refused.value) and problem in str(refused.value)
    assert line is None or f"editorial.yaml line {line + 1}:" in str(refused.value)


@runaway_cases()
def test_runaway_yaml_in_an_mi_front_matter_is_refused(text, line, problem):
    with pytest.raises(NoticeError) as refused:
        from_markdown(f"---\ntitle: After\n{text}---\nBody\n", SHEET)
    assert said(line, 2, "the front matter is not valid YAML") in str(refused.value)
    assert problem in str(refused.value)


@pytest.mark.parametrize("text", list(ODD_YAML.values()), ids=list(ODD_YAML))
def test_odd_yaml_is_refused_in_each_file_not_a_traceback(project, text):
    project.config_path.write_text("organisation: {name: Testshire}\nsources: []\n" + text)
    result = project.run("sources", expect=2)
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    with pytest.raises(BulletinError, match="not valid YAML"):
        parse_editorial("intro: Hello\n" + text, "editorial.yaml")
    with pytest.raises(NoticeError, match="the front matter is not valid YAML"):
        from_markdown(f"---\ntitle: After\n{text}---\nBody\n", SHEET)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "[a, b]"),
        ("contact", "{name: Jo}"),
        ("due", "[7]"),
        ("replaces", "{a: 1}"),
        ("audiences", "{dsls: DSLs}"),
        ("audiences", "[dsls, [heads]]"),
        ("audiences", "!!set {dsls}"),
        ("type", "!!omap [a: 1]"),
    ],
)
def test_mi_front_matter_fields_are_one_value_each(field, value):
    with pytest.raises(NoticeError, match=f"'{field}' must be"):
        from_markdown(f"---\n{field}: {value}\n---\nBody\n", SHEET)


def test_a_big_file_without_aliases_is_not_mistaken_for_a_runaway_one():
    """Over 100,000 values (a feeds.yaml of 13,000 sources holds that many) still load."""
    assert len(load_yaml("top: [" + "1, " * 101_000 + "]\n", "feeds.yaml")["top"]) == 101_000


def test_aliases_used_as_a_person_would_still_load(project):
    project.config_path.write_text(
        "organisation: {name: Testshire}\n"
        "audiences: {dsls: DSLs, heads: Headteachers}\n"
        "sources:\n"
        "  - {id: a, kind: feed, url: 'https://a.example/', audiences: &both [dsls, heads]}\n"
        "  - {id: b, kind: feed, url: 'https://b.example/', audiences: *both}\n"
    )
    listed = project.run("sources").output
    assert listed.count("for: DSLs, Headteachers") == 2


# Markdown in MI emails -------------------------------------------------------------------


def test_an_mi_email_shows_headings_not_escaped_tags(project, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    body = tmp_path / "body.md"
    body.write_text("## Summary\n\nRead **this**.\n\n<b>typed html</b>\n")
    project.run("mi", "new", "--title", "Filtering", "--audience", "dsls", "--body-file", str(body))
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    (tmp_path / "s.csv").write_text("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    project.run("subscribers", "import", str(tmp_path / "s.csv"))
    project.run("send", "--mi", "1/24")
    [eml] = (project.data_dir / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    tree = LexborHTMLParser(message.get_body(("html",)).get_content())
    assert [h2.text() for h2 in tree.css("h2")] == ["Summary"]
    assert "this" in [strong.text() for strong in tree.css("strong")]
    visible = tree.body.text()
    assert "<h2>" not in visible and "&lt;" not in visible
    assert "<b>typed html</b>" in visible  # shown as typed, not run
    assert tree.css_first("b") is None


# Malformed GOV.UK JSON -------------------------------------------------------------------

WTTSC = "/government/publications/working-together-to-safeguard-children--2"


def malformed(change):
    content = json.loads(fixture_bytes("govuk/wttsc-v2.json"))
    change(content)
    return content


MALFORMED = {
    "note is a number": lambda c: c["details"]["change_history"][0].update(note=5),
    "page 1.2.3": lambda c: c["details"]["change_history"][0].update(note="Page 1.2.3: x"),
    "400-digit page": lambda c: c["details"]["change_history"][0].update(
        note="Page " + "9" * 400 + ": amended"
    ),
    "file_size as text": lambda c: [a.update(file_size="200") for a in c["details"]["attachments"]],
    "content_id as list": lambda c: c.update(content_id=["a", "b"]),
    "title as object": lambda c: c.update(title={"en": "Working Together"}),
    "details null": lambda c: c.update(details=None),
    "change_history a string": lambda c: c["details"].update(change_history="yesterday"),
    "timestamp a number": lambda c: c["details"]["change_history"][0].update(public_timestamp=1),
    "attachments of numbers": lambda c: c["details"].update(attachments=[1, 2]),
    "organisations not a list": lambda c: c.update(links={"organisations": "DfE"}),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_govuk_json_never_stops_the_run_or_loses_other_sources(server, project, name):
    content = {"body": fixture_bytes("govuk/wttsc-v1.json")}
    server.expect_request(f"/api/content{WTTSC}").respond_with_handler(
        lambda request: Response(content["body"], content_type="application/json")
    )
    server.expect_request("/news.rss").respond_with_data(
        rss(item("Story", "https://ok.example/1", "1")), content_type="application/rss+xml"
    )
    project.configure(
        [
            {"id": "wttsc", "kind": "govuk", "url": WTTSC},
            {"id": "news", "kind": "feed", "url": server.url_for("/news.rss")},
        ],
        settings={"govuk_base_url": server.url_for("").rstrip("/")},
    )
    project.run("check")
    content["body"] = json.dumps(malformed(MALFORMED[name])).encode()
    for _ in range(2):  # and on every later run
        result = project.run("check", expect=None)
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1)
    sources = {
        row["id"]: row for row in json.loads(project.run("sources", "--format", "json").output)
    }
    assert sources["news"]["last_error"] is None
    if sources["wttsc"]["last_error"]:
        assert sources["wttsc"]["consecutive_failures"] == 2


# Property tests: whatever the free text, each cleaner keeps its promise -------------------

PIECES = [
    "\x1b[2J",
    "\x1b]0;x\x07",
    "\r\n",
    "\x00",
    "\x0b",
    "\u2028",
    "<script>",
    "&lt;img onerror=x&gt;",
    "javascript:",
    "<a href='javascript:x'>",
    "<b>",
    "](javascript:x)",
    "[a](",
    "![x](http://e/x.png)",
]
TEXT = st.lists(st.text(st.characters(codec="utf-8")) | st.sampled_from(PIECES)).map("".join)


@given(TEXT)
def test_clean_text_leaves_no_control_or_escape(text):
    from publisher.text import clean_text

    cleaned = clean_text(text)
    assert "\x1b" not in cleaned and "\n" not in cleaned
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in cleaned)
    assert clean_text(cleaned) == cleaned  # cleaning twice changes nothing


@given(TEXT)
def test_header_text_is_one_line_without_controls(text):
    from publisher.messages import header_text

    header = header_text(text)
    assert "\r" not in header and "\n" not in header
    assert not any(ord(c) < 32 or ord(c) == 127 for c in header)


@given(TEXT)
def test_feed_reader_titles_never_leave_markup(text):
    plain = title_for_feed_readers(text)
    assert not re.search(r"<\s*(script|img|iframe|svg|a)\b", plain, re.I)


@given(TEXT)
def test_html_to_text_reads_escaped_text_back_whole(text):
    """Text a feed escaped ("email &lt;dsl@school&gt;") is the text it wrote, once."""
    expected = " ".join(without_controls(text.replace("\r", "\n")).split())  # CR: a line end
    assert html_to_text(html.escape(text)) == expected


@given(TEXT)
def test_markdown_from_staff_never_runs(text):
    from publisher.render import markdown_to_html

    tree = LexborHTMLParser(str(markdown_to_html(text)))
    assert not tree.css("script, iframe, object, embed, style, img")
    for node in tree.css("*"):
        attributes = node.attributes
        assert not any(name.lower().startswith("on") for name in attributes)
        for name in ("href", "src"):
            assert not (attributes.get(name) or "").strip().lower().startswith("javascript")


ASCII_LINE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=1100)


@given(st.sampled_from(["Subject", "From", "List-Unsubscribe", "X-Long-Header-Name"]), TEXT)
def test_headers_written_as_one_line_are_what_compat32_folding_writes(name, text):
    from publisher.messages import UNFOLDED, header_text

    def written(policy, value):
        try:
            return policy.fold(name, value), policy.fold_binary(name, value)
        except email.errors.HeaderParseError as error:  # e.g. a line break then 'X:'
            return repr(error)

    standard = email.policy.compat32.clone(max_line_length=998)
    for value in (text, header_text(text), header_text(text).encode("ascii", "replace").decode()):
        assert written(UNFOLDED, value) == written(standard, value)


@given(ASCII_LINE, TEXT, ASCII_LINE)
def test_a_whole_message_is_written_as_compat32_would_write_it(subject, name, link):
    from publisher.messages import Mailbox, build_message, header_text

    name = header_text(name)  # as every caller does
    message = build_message(
        subject=subject,
        sender=Mailbox("team@la.example", name),
        to=Mailbox("dsl@school.example", name),
        text="Dear colleague",
        html="<p>Dear colleague</p>",
        reply_to=Mailbox("reply@la.example", subject),
        headers={"List-Unsubscribe": f"<https://la.example/u?{link}>", "X-Name": name},
    )
    written = io.BytesIO()
    standard = email.policy.compat32.clone(max_line_length=998)
    email.generator.BytesGenerator(written, policy=standard).flatten(message)
    assert bytes(message) == written.getvalue()


# The sanitiser: links judged after controls go; no input makes it slow ------------------


@pytest.mark.parametrize(
    "html",
    [
        '<a href="java&#1;script:alert(1)">x</a>',
        '<a href="java&#x01;script:alert(1)">x</a>',
        '<a href="java\x01script:alert(1)">x</a>',
        '<a href="java\x7fscript:alert(1)">x</a>',
        '<a href="java\x1b[31mscript:alert(1)">x</a>',
        '<a href="java&#&#1;1;script:alert(1)">x</a>',
        '<a href="&#1;javascript:alert(1)"></a>',
        '<a href="data&#x9b;:text/html,x">x</a>',
    ],
)
def test_no_control_character_turns_a_harmless_link_into_a_script(html):
    for cleaned in (str(clean_html(html)), str(feed_summary_html(html))):
        for href in hrefs(cleaned):  # a browser reads a scheme only of these characters
            scheme = re.match(r"^[\s\x00-\x1f]*([a-z][a-z0-9+.-]*):", href, re.I)
            assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto")


@pytest.mark.parametrize(
    "html",
    [
        "<p>x</p>" + "<i>" * 6600,
        "<b></b>" * 2857,
        '<a href="https://e.example/">' * 2000,
        "<p>" + "<img alt=x>" * 2500,
        "<h1>" * 3000,
    ],
    ids=["open tags", "empty pairs", "open links", "images", "headings"],
)
def test_no_summary_under_the_size_cap_takes_long_to_clean(html):
    """A summary of 20,000 characters of tags took 3.4 s (a regex scanned each run of tags
    from every '>'), and every output cleans every summary again: a build stalled for
    minutes. Cleaning is linear; a second is generous."""
    started = time.perf_counter()
    clean_html(html)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("text", ["&nbsp;", "\u200b", " \u00a0 ", "<span>&nbsp;</span>", "\ufeff"])
def test_a_link_whose_text_cannot_be_seen_shows_its_address(text):
    cleaned = str(clean_html(f'<p><a href="https://e.example/page">{text}</a></p>'))
    assert ">https://e.example/page</a>" in cleaned
