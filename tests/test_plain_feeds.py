"""The fast path for plain RSS and Atom must store exactly what feedparser would."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher_plugins.feed import parse_feed
from publisher_plugins.plain_feeds import plain_feed_entries

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
SAMPLES = Path(__file__).parents[1] / "publisher" / "sample_data" / "served"
BASE = "https://news.example/feeds/latest.xml"
RSS = {"Content-Type": "application/rss+xml"}
ATOM_FEED = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>%s</entry></feed>'


def both_ways(body: bytes, headers=RSS, url: str = BASE):
    return parse_feed(body, url, headers), parse_feed(body, url, headers, fast=False)


FEED_FILES = sorted(FIXTURES.glob("*.*")) + sorted(SAMPLES.glob("*.*"))


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda path: path.name)
def test_every_fixture_feed_stores_the_same_items_either_way(path):
    body = path.read_bytes()
    try:
        fast, full = both_ways(body)
    except Exception as fast_error:  # not a feed: both ways must refuse it alike
        with pytest.raises(type(fast_error)):
            parse_feed(body, BASE, RSS, fast=False)
        return
    assert fast == full


def test_comments_inside_elements_read_the_same_either_way():
    body = (
        b'<rss version="2.0"><channel><!-- feed --><item><title>A <!-- x --> B</title>'
        b"<link>/a<!-- y -->b</link><description><![CDATA[<p>c</p>]]><!-- z -->d</description>"
        b"</item></channel></rss>"
    )
    assert plain_feed_entries(body, BASE, "application/rss+xml") is not None
    fast, full = both_ways(body)
    assert fast == full


@pytest.mark.parametrize(
    "name", ["news.rss", "regulator.rss", "guidance.atom", "dfe-guidance.atom", "ofcom-news.xml"]
)
def test_plain_feeds_take_the_fast_path(name):
    path = FIXTURES / name if (FIXTURES / name).exists() else SAMPLES / name
    assert plain_feed_entries(path.read_bytes(), BASE, "application/rss+xml")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel/></rss>', ""),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "text/xml; charset=latin-1"),
        ('<rss version="2.0"><channel><title>Café</title></channel></rss>'.encode(), "text/xml"),
        (b'<!DOCTYPE rss [<!ENTITY a "x">]><rss version="2.0"><channel/></rss>', ""),
        (b'<rss version="0.91"><channel/></rss>', ""),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', ""),
        (b'<rss version="2.0"><channel><item><dc:date xmlns:dc="x">1</dc:date></item>', ""),
        (b'<rss version="2.0"><channel><item><title>a</title><title>b</title></item>', ""),
        (b'<rss version="2.0"><channel><item><title>a<b>c</b></title></item></channel></rss>', ""),
        (b'<rss version="2.0" xml:base="http://x/"><channel/></rss>', ""),
        (ATOM_FEED % b"<content>x</content>", ""),
        (ATOM_FEED % b'<title type="xhtml"/>', ""),
        (ATOM_FEED % b'<link url="http://x/"/>', ""),
        (b'\xef\xbb\xbf<rss version="2.0"><channel/></rss>', ""),
        (b'<rss version="2.0"><channel><item><title>cut off', ""),
        (b'<rss version="2.0"><channel><item><Title>A</Title></item></channel></rss>', ""),
        (b'<rss version="2.0"><channel><item><guid ISPERMALINK="false">x</guid></item>', ""),
        ('<rss version="2.0"><channel/></rss>'.encode("utf-16"), ""),
        ('<rss version="2.0"><channel/></rss>'.encode("utf-16-le"), ""),
        (b'<!doctype rss><rss version="2.0"><channel/></rss>', ""),
        (b'<rss version="2.0"><channel><item><title><b><i>x</i></b></title></item>', ""),
        (b'<rss version="2.0"><channel><item><title type="html">x</title></item>', ""),
        (b'<rss version="2.0"><channel><item/></channel><item/></rss>', ""),
    ],
    ids=[
        "latin-1 declared", "charset in header", "text/xml not ascii", "doctype", "rss 0.91",
        "rdf", "namespaced element", "repeated title", "markup inside", "xml:base",
        "atom content", "xhtml title", "link url attribute", "byte-order mark", "truncated",
        "tag case", "attribute case", "utf-16", "utf-16 without a mark", "lower-case doctype",
        "nested markup", "typed rss title", "item outside the channel",
    ],
)  # fmt: skip
def test_anything_unusual_is_left_to_feedparser(body, content_type):
    assert plain_feed_entries(body, BASE, content_type) is None


# Text as feeds really carry it: markup (escaped or in CDATA), entities, scripts, odd
# whitespace, curly quotes, mojibake and Windows-1252 code points, relative links.
FRAGMENTS = [
    "<p>Para</p>", "<b>bold</b>", "<script>alert(1)</script>", "<a href='/rel'>x</a>",
    '<img src="a.png" onerror="x()">', "&amp;", "&lt;b&gt;", "&nbsp;", "&#8217;", "Q&A",
    "\u2019", "caf\u00e9", "\u00e2\u0080\u0099", "\u0092", "  ", "\n", "\t", "é", "x < y",
    "</div>", "<br/>", "http://x.example/a?b=1&c=2", "&copy;", "<!-- c -->", "]]",
]  # fmt: skip
xml_characters = st.characters(blacklist_categories=("Cs", "Cc"))  # what XML may hold
texts = st.lists(st.sampled_from(FRAGMENTS) | st.text(xml_characters, max_size=8), max_size=6).map(
    "".join
)
links = st.sampled_from(
    ["https://a.example/x", "/relative/path", "page.html", "?q=1&amp;r=2", "", "  /sp  ",
     "https://a.example/a?b=1&c;=2", "tag:www.gov.uk,2005:/x", "mailto:x@example.com"]
)  # fmt: skip
dates = st.sampled_from(
    ["Tue, 20 Feb 2024 09:00:00 +0000", "Tue, 20 Feb 2024 09:00:00 GMT", "2024-02-20T09:00:00Z",
     "20 Feb 2024", "not a date", "", "Tue, 20 Feb 2024 09:00:00 EST",
     "2024-02-23T12:48:33+00:00"]
)  # fmt: skip


def element(name: str, text: str, cdata: bool, attributes: str = "") -> str:
    if cdata and "]]>" not in text:
        return f"<{name}{attributes}><![CDATA[{text}]]></{name}>"
    return f"<{name}{attributes}>{escape(text)}</{name}>"


@st.composite
def rss_items(draw) -> str:
    parts = [
        element("title", draw(texts), draw(st.booleans())),
        element("link", draw(links), False),
        element("description", draw(texts), draw(st.booleans())),
    ]
    if draw(st.booleans()):
        permalink = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"']))
        parts.append(element("guid", draw(links | texts), False, permalink))
    if draw(st.booleans()):
        parts.append(element("pubDate", draw(dates), False))
    for category in draw(st.lists(texts, max_size=3)):
        domain = draw(st.sampled_from(["", ' domain="topics"']))
        parts.append(element("category", category, False, domain))
    order = draw(st.permutations(parts))
    return "<item>" + "".join(order) + "</item>"


@st.composite
def atom_entries(draw) -> str:
    kind = draw(st.sampled_from(["", ' type="text"', ' type="html"']))
    parts = [
        element("title", draw(texts), draw(st.booleans()), kind),
        element("summary", draw(texts), draw(st.booleans()), kind),
        element("id", draw(links), False),
        element("updated", draw(dates), False),
    ]
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="related"']))
        parts.append(f"<link{rel} href={quoteattr(draw(links))}/>")
    if draw(st.booleans()):
        parts.append(element("published", draw(dates), False))
    for term in draw(st.lists(texts, max_size=2)):
        parts.append(f"<category term={quoteattr(term)}/>")
    order = draw(st.permutations(parts))
    return "<entry>" + "".join(order) + "</entry>"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rss_items(), min_size=1, max_size=3))
def test_generated_rss_reads_the_same_either_way(items):
    channel = f"<channel><title>T</title>{''.join(items)}</channel>"
    body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">{channel}</rss>'
    assert plain_feed_entries(body.encode(), BASE, "application/rss+xml") is not None
    fast, full = both_ways(body.encode())
    assert fast == full


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(atom_entries(), min_size=1, max_size=3))
def test_generated_atom_reads_the_same_either_way(entries):
    body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{"".join(entries)}</feed>'
    headers = {"Content-Type": "application/atom+xml; charset=utf-8"}
    assert plain_feed_entries(body.encode(), BASE, headers["Content-Type"]) is not None
    fast, full = both_ways(body.encode(), headers)
    assert fast == full
