"""The plain-text part of an email (all that GOV.UK Notify readers get): everything the HTML
shows, once, in reading order, with quotes, numbering, nesting and tables kept readable."""

import email
import email.policy
import html as html_module
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from publisher.render import html_to_readable_text, markdown_to_html, markdown_to_text
from publisher.sanitise import clean_html, feed_summary_html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("> quoted para\n", "> quoted para"),
        ("> one\n>\n> two\n", "> one\n>\n> two"),
        ("> outer\n>\n> > inner\n", "> outer\n>\n> > inner"),
        ("> - a\n> - b\n", "> - a\n> - b"),
        ("Before\n\n> **Bold** quote\n\nAfter\n", "Before\n\n> Bold quote\n\nAfter"),
    ],
    ids=["one paragraph", "two paragraphs", "nested quote", "list in quote", "between"],
)
def test_block_quotes_appear_once_and_marked(markdown, expected):
    assert markdown_to_text(markdown) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("- item one\n  - nested a\n- item two", "- item one\n  - nested a\n- item two"),
        (
            "- a\n  - b\n    - c\n  - d\n- e\n",
            "- a\n  - b\n    - c\n  - d\n- e",
        ),
        ("1. first\n   - sub\n2. second\n", "1. first\n   - sub\n2. second"),
        ("- bullet\n  1. one\n  2. two\n", "- bullet\n  1. one\n  2. two"),
        ("* star\n+ plus\n", "- star\n\n- plus"),
    ],
    ids=["two levels", "three levels", "bullets in numbers", "numbers in bullets", "markers"],
)
def test_nested_list_items_are_indented_once(markdown, expected):
    assert markdown_to_text(markdown) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("1. first\n2. second\n", "1. first\n2. second"),
        ("1) first\n1) second\n1) third\n", "1. first\n2. second\n3. third"),
        (
            "1. a\n\n   more about a\n2. b\n",
            "1. a\n\n   more about a\n\n2. b",
        ),
        ("3. three\n4. four\n", "3. three\n4. four"),
        (
            "1. Review\n2. Update\n\nThen:\n\n3. Send it to governors\n",
            "1. Review\n2. Update\n\nThen:\n\n3. Send it to governors",
        ),
    ],
    ids=["dots", "parentheses and repeated ones", "loose items", "from 3", "carried on"],
)
def test_ordered_lists_keep_their_numbers(markdown, expected):
    assert markdown_to_text(markdown) == expected


def test_numbers_follow_what_the_html_shows():
    markdown = "3. third\n4. fourth\n"
    html = str(markdown_to_html(markdown))
    start = re.search(r'<ol start="(\d+)"', html)
    first = start.group(1) if start else "1"
    assert markdown_to_text(markdown).splitlines()[0] == f"{first}. third"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        (
            "| Paragraph | Change |\n|---|---|\n| 48 | amended |\n| 112 | *new* |\n",
            "Paragraph: 48 | Change: amended\nParagraph: 112 | Change: new",
        ),
        (
            "| Paragraph | Link |\n|:--|--:|\n| 79 | [WT](https://www.gov.uk/wt) |\n",
            "Paragraph: 79 | Link: WT (https://www.gov.uk/wt)",
        ),
        ("| A | B |\n|---|---|\n| 1 |  |\n", "A: 1"),
        ("| Only | Header |\n|---|---|\n", "Only | Header"),
        ("Intro\n\n| x |\n|---|\n| `y` |\n\nAfter\n", "Intro\n\nx: y\n\nAfter"),
    ],
    ids=["two rows", "link in a cell", "empty cell", "no rows", "between paragraphs"],
)
def test_tables_become_readable_rows(markdown, expected):
    assert markdown_to_text(markdown) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("See [KCSIE](https://www.gov.uk/kcsie).", "See KCSIE (https://www.gov.uk/kcsie)."),
        ("<https://www.gov.uk/x>", "https://www.gov.uk/x"),
        ("## Heading\n\nText", "Heading\n-------\n\nText"),
        ("line one  \nline two", "line one\nline two"),
        ("```\ncode  here\n  indented\n```\n", "code  here\n  indented"),
    ],
    ids=["link", "bare address", "heading", "hard break", "code block"],
)
def test_links_headings_breaks_and_code(markdown, expected):
    assert markdown_to_text(markdown) == expected


# Every word the HTML shows appears in the text once, in the same order -------------------

_words = st.integers(min_value=0, max_value=10**6).map(lambda n: f"w{n}")


@st.composite
def _markdown_blocks(draw, depth=0):
    kinds = ["paragraph", "heading", "table"] + (
        ["quote", "bullets", "numbers"] if depth < 3 else []
    )
    kind = draw(st.sampled_from(kinds))
    words = draw(st.lists(_words, min_size=1, max_size=4))
    if kind == "paragraph":
        return " ".join(words)
    if kind == "heading":
        return "## " + " ".join(words)
    if kind == "table":
        columns = draw(st.integers(1, 3))
        rows = draw(st.lists(st.lists(_words, min_size=columns, max_size=columns), max_size=3))
        header = ["Paragraph", "Change", "Note"][:columns]  # labels repeat on each row
        lines = [header, ["---"] * columns, *rows]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    inner = draw(st.lists(_markdown_blocks(depth + 1), min_size=1, max_size=2))
    if kind == "quote":
        return "\n".join("> " + line for line in "\n\n".join(inner).splitlines())
    marker = "-" if kind == "bullets" else "1."
    items = []
    for block in inner:
        lines = block.splitlines()
        pad = " " * (len(marker) + 1)
        items.append(
            "\n".join([f"{marker} {lines[0]}", *(pad + line if line else "" for line in lines[1:])])
        )
    return "\n".join(items)


@st.composite
def _documents(draw):
    return "\n\n".join(draw(st.lists(_markdown_blocks(), min_size=1, max_size=4)))


@settings(max_examples=150, deadline=None)
@given(_documents())
def test_every_word_the_html_shows_appears_once_in_reading_order(markdown):
    html = str(markdown_to_html(markdown))
    shown = re.findall(r"w\d+", re.sub(r"<[^>]*>", " ", html))
    assert re.findall(r"w\d+", markdown_to_text(markdown)) == shown


# The demo's own sheet ---------------------------------------------------------------------


def test_the_demo_sheet_text_part_has_its_quote_once(demo_site):
    path = next((demo_site / "outbox").glob("Jo-Patel*MI-1-24*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "paragraph 79" in html
    assert text.count("paragraph 79") == html.count("paragraph 79") == 1
    quoted = [line for line in text.splitlines() if "paragraph 79" in line]
    assert quoted[0].startswith("> ")


# Images, image links, top-level headings and mailto links in staff Markdown ----------------
# Images are never shown (no tracking, no remote content): their alt text is, as text. The
# page's h1 is the sheet's title, so "# Heading" is an h2 (and "## Heading" beside it an
# h3); "## Heading" in a sheet with no "#" stays an h2.


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("![Flow chart of referral](https://x.example/flow.png)", "Flow chart of referral"),
        ("See ![the chart](flow.png) below.", "See the chart below."),
        ("![Flow *chart* of `referral`](flow.png)", "Flow chart of referral"),
        ('![Logo](l.png "The council logo")', "Logo"),
        ("![  spaced   out  ](l.png)", "spaced out"),
        ("![Ünïcödé – “quoted”](l.png)", "Ünïcödé – “quoted”"),
        ("![logo][ref]\n\n[ref]: https://x.example/l.png", "logo"),
        ("- first ![one](1.png)\n- ![two](2.png)", "- first one\n- two"),
    ],
    ids=["alone", "inline", "formatted alt", "title", "whitespace", "unicode", "reference", "list"],
)
def test_an_image_is_its_alt_text_in_html_and_plain_text(markdown, shown):
    html = str(markdown_to_html(markdown))
    assert "<img" not in html and "l.png" not in html and "flow.png" not in html
    assert markdown_to_text(markdown) == shown
    for words in shown.replace("- ", "").split("\n"):
        assert words in re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]*>", "", html)))


@pytest.mark.parametrize("alt", ["a <b> & c", "<script>alert(1)</script>", "&lt;i&gt;", '"q" \'s'])
def test_alt_text_is_text_never_markup(alt):
    markdown = f"![{alt}](l.png)"
    html = str(markdown_to_html(markdown))
    tree = LexborHTMLParser(html)
    assert not tree.css("b, i, script, img")
    assert tree.body.text().strip() == html_module.unescape(alt)
    assert markdown_to_text(markdown) == html_module.unescape(alt)


@pytest.mark.parametrize("markdown", ["![](l.png)", "![ ](l.png)", "Before ![](l.png)"])
def test_an_image_without_alt_text_leaves_nothing(markdown):
    html = str(markdown_to_html(markdown))
    assert "<img" not in html and "l.png" not in html
    assert markdown_to_text(markdown) == ("Before" if "Before" in markdown else "")


@pytest.mark.parametrize(
    ("markdown", "link_text", "plain"),
    [
        ("[![Logo](l.png)](https://x.example/)", "Logo", "Logo (https://x.example/)"),
        ("[![](l.png)](https://x.example/)", "https://x.example/", "https://x.example/"),
        ("[](https://x.example/)", "https://x.example/", "https://x.example/"),
        ("[ ](https://x.example/a)", "https://x.example/a", "https://x.example/a"),
        ("[![](l.png)](https://x.example/%C3%A4)", "https://x.example/ä", "https://x.example/ä"),
        ("[![](l.png)](mailto:team@x.example)", "team@x.example", "team@x.example"),
        ("[**![](l.png)**](https://x.example/)", "https://x.example/", "https://x.example/"),
        ("[Our ![logo](l.png)](https://x.example/)", "Our logo", "Our logo (https://x.example/)"),
    ],
    ids=["alt", "no alt", "empty", "space", "encoded", "mailto", "nested", "words and alt"],
)
def test_a_link_always_has_text_wcag_2_4_4(markdown, link_text, plain):
    html = str(markdown_to_html(markdown))
    [link] = LexborHTMLParser(html).css("a")
    assert link.text(strip=True) == link_text
    assert "<img" not in html
    assert markdown_to_text(markdown) == plain


@pytest.mark.parametrize(
    ("markdown", "html", "plain"),
    [
        ("# Big heading", "<h2>Big heading</h2>", "Big heading\n-----------"),
        ("Big heading\n===", "<h2>Big heading</h2>", "Big heading\n-----------"),
        ("#   Big   heading  #", "<h2>Big   heading</h2>", "Big heading\n-----------"),
        (
            "# **Bold** heading",
            "<h2><strong>Bold</strong> heading</h2>",
            "Bold heading\n------------",
        ),
        ("> # In a quote", "<blockquote>\n<h2>In a quote</h2>", "> In a quote\n> ----------"),
        ("## Second", "<h2>Second</h2>", "Second\n------"),
        ("### Third", "<h3>Third</h3>", "Third\n-----"),
        ("###### Sixth", "<h6>Sixth</h6>", "Sixth\n-----"),
    ],
    ids=["atx", "setext", "spaces", "formatted", "quoted", "h2 kept", "h3 kept", "h6 kept"],
)
def test_a_top_level_heading_is_an_h2_and_the_others_keep_their_level(markdown, html, plain):
    rendered = str(markdown_to_html(markdown))
    assert html in rendered and "<h1" not in rendered
    assert markdown_to_text(markdown) == plain


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("[team@example.gov.uk](mailto:team@example.gov.uk)", "team@example.gov.uk"),
        ("<team@example.gov.uk>", "team@example.gov.uk"),
        ("[Team@Example.GOV.UK](mailto:team@example.gov.uk)", "Team@Example.GOV.UK"),
        ("[team@example.gov.uk](MAILTO:team@example.gov.uk)", "team@example.gov.uk"),
        ("[ team@example.gov.uk ](mailto:team@example.gov.uk)", "team@example.gov.uk"),
        ("[jö@x.example](mailto:jö@x.example)", "jö@x.example"),
        ("[mailto:a@x.example](mailto:a@x.example)", "mailto:a@x.example"),
        ("[https://x.example/ä](https://x.example/ä)", "https://x.example/ä"),
        (
            "[Email the team](mailto:team@example.gov.uk)",
            "Email the team (mailto:team@example.gov.uk)",
        ),
        (
            "[team@example.gov.uk](mailto:other@example.gov.uk)",
            "team@example.gov.uk (mailto:other@example.gov.uk)",
        ),
    ],
    ids=[
        "mailto",
        "autolink",
        "case",
        "scheme case",
        "spaces",
        "encoded",
        "with scheme",
        "encoded url",
        "words",
        "another address",
    ],
)
def test_a_link_whose_text_is_its_address_is_written_once(markdown, plain):
    assert markdown_to_text(markdown) == plain


_inline_markdown = st.lists(
    st.sampled_from(
        [
            "word",
            " ",
            "![alt](i.png)",
            "![](i.png)",
            "[",
            "](https://x.example/)",
            "# ",
            "\n",
            "*",
            "[](mailto:a@x.example)",
            "[![",
            "![",
            "<",
            ">",
            "&",
            "`",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_inline_markdown, st.text(max_size=60)))
def test_no_markdown_makes_an_h1_an_image_or_a_link_without_text(markdown):
    html = str(markdown_to_html(markdown))
    tree = LexborHTMLParser(html)
    assert not tree.css("h1, img")
    assert all(link.text(strip=True) for link in tree.css("a[href]"))
    assert clean_html(html) == html  # cleaning twice (the team's preview does) changes nothing


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            '<p><img src="https://t.example/p.gif" alt="Minister at a school"> Text</p>',
            "<p>Minister at a school Text</p>",
        ),
        ('<p>Text<img src="https://t.example/pixel.gif" width="1" height="1"></p>', "<p>Text</p>"),
        ('<h1 class="title">Heading</h1><p>Text</p>', "<h2>Heading</h2><p>Text</p>"),
        (
            '<a href="https://x.example/"><img src="l.png" alt="Logo"></a>',
            '<a href="https://x.example/" rel="noopener noreferrer nofollow">Logo</a>',
        ),
        (
            '<a href="https://x.example/"><img src="l.png"></a>',
            '<a href="https://x.example/" rel="noopener noreferrer nofollow">https://x.example/</a>',
        ),
        (
            '<a href="https://x.example/"><script>x()</script></a>',
            '<a href="https://x.example/" rel="noopener noreferrer nofollow">https://x.example/</a>',
        ),
        ('<a href="javascript:x()"><img alt=""></a>', ""),  # no link and nothing to read
        ('<p><IMG ALT="Upper &amp; case" SRC=x></p>', "<p>Upper &amp; case</p>"),
        ('<img alt="<script>alert(1)</script>">', "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ],
    ids=[
        "alt",
        "pixel",
        "h1",
        "image link",
        "image link no alt",
        "script link",
        "no href",
        "upper case",
        "markup in alt",
    ],
)
def test_feed_summaries_show_alt_text_and_headings_the_same_way(summary, expected):
    assert str(feed_summary_html(summary)) == expected


_html_pieces = st.lists(
    st.sampled_from(
        [
            '<a href="https://x.example/">',
            "</a>",
            '<img alt="alt">',
            "<img src=p.gif>",
            "<h1>",
            "</h1>",
            "<b>",
            "</b>",
            " ",
            "word",
            "<script>x()</script>",
            "&gt;",
            '<a title="a>b" href="mailto:a@x.example">',
            "<p>",
            "</p>",
            "<br>",
        ]
    ),
    max_size=14,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_html_pieces, st.text(max_size=60)))
def test_no_feed_html_keeps_an_h1_an_image_or_a_link_without_text(summary):
    cleaned = str(feed_summary_html(summary))
    tree = LexborHTMLParser(cleaned)
    assert not tree.css("h1, img, script")
    assert all(link.text(strip=True) for link in tree.css("a[href]"))
    assert clean_html(cleaned) == cleaned


@pytest.mark.parametrize(
    "summary",
    [
        '<a title="\x9b" href="https://ok.example/x onmouseover=alert(1) y">t</a>',
        '<a title="\x1b[" href="https://ok.example/x onmouseover=alert(1) y">t</a>',
        '<a title="&#27;[" href="https://ok.example/x onmouseover=alert(1) y">t</a>',
        '<a title="&#x1B;]" href="https://ok.example/x onmouseover=alert(1) y">t</a>',
        "<p>a\x9b</p><p>b</p>",
        "<p>a&#27;]</p><p>b</p>",
    ],
    ids=["one-byte CSI", "CSI", "CSI by reference", "OSC by reference", "text", "text OSC"],
)
def test_a_control_character_never_eats_markup(summary):
    """Removing a terminal escape from cleaned HTML must not take a quote or a tag with it:
    an attribute that lost its closing quote would turn the next one's value into markup."""
    cleaned = str(clean_html(summary))
    tree = LexborHTMLParser(cleaned)
    assert not any(name.startswith("on") for node in tree.css("*") for name in node.attributes)
    for link in tree.css("a"):
        assert link.attributes["href"] == "https://ok.example/x onmouseover=alert(1) y"
    if "<p>" in summary:
        assert [p.text() for p in tree.css("p")][1] == "b"
    assert clean_html(cleaned) == cleaned


# Feed and editorial summaries (HTML) read as the Markdown's text does ---------------------

BOOKING = (
    '<p>Book on the <a href="https://example.gov.uk/book">booking page</a>. '
    '<a href="https://example.gov.uk/x"><img alt="Poster for the course"></a></p>'
    "<h1>Venue</h1>"
)


@pytest.mark.parametrize(
    ("summary", "plain"),
    [
        (
            "<p>Ofcom has fined the provider.</p><p>Read more in the report.</p>"
            "<ul><li>One</li><li>Two</li></ul>",
            "Ofcom has fined the provider.\n\nRead more in the report.\n\n- One\n- Two",
        ),
        (
            BOOKING,
            "Book on the booking page (https://example.gov.uk/book). Poster for the course "
            "(https://example.gov.uk/x)\n\nVenue\n-----",
        ),
        ("<P>One</P>\n\n<H2>Two</H2>", "One\n\nTwo\n---"),
        ("Loose words<p>then a paragraph</p>", "Loose words\n\nthen a paragraph"),
        ("<ol start=3><li>Send it</li><li>File it</li></ol>", "3. Send it\n4. File it"),
        ("<blockquote><p>Quoted</p></blockquote>After", "> Quoted\n\nAfter"),
        ("<b><p>One</p><p>Two</p></b>", "One\n\nTwo"),
        (
            '<a href="https://x.example/"><p>Card title</p></a>',
            "Card title\n\n(https://x.example/)",
        ),
        ("<dl><dt>Term</dt><dd>Meaning</dd></dl>", "Term\n  Meaning"),
        (
            "<table><caption>Dates</caption><tr><td>Monday</td></tr></table>",
            "Dates\nMonday",
        ),
        ("Ofcom &amp; DfE &lt;b&gt;", "Ofcom & DfE <b>"),
        ('<p>x<script>alert(1)</script></p><a href="javascript:alert(1)">y</a>', "x\n\ny"),
        ("<table><tr><td>a<table><tr><td>b</td></tr></table></td></tr></table>", "a b"),
        (
            "<table><thead><tr><th>Term</th></tr></thead><tr><td><p>a</p><p>b</p></td></tr></table>",
            "Term: a b",
        ),
        ("<h2> </h2><p>x</p>", "x"),
        ("  ", ""),
        (None, ""),
    ],
    ids=[
        "paragraphs and list",
        "links and image link",
        "upper case tags",
        "loose text",
        "numbered",
        "quote",
        "blocks in bold",
        "block in link",
        "definitions",
        "caption",
        "escaped",
        "hostile",
        "table in a table",
        "paragraphs in a cell",
        "empty heading",
        "blank",
        "none",
    ],
)
def test_html_summaries_keep_their_blocks_apart_and_give_link_addresses(summary, plain):
    assert html_to_readable_text(summary) == plain


def test_markdown_text_is_the_readable_text_of_its_html():
    markdown = "# Big\n\nSee [KCSIE](https://www.gov.uk/kcsie).\n\n- a\n- b\n"
    assert markdown_to_text(markdown) == html_to_readable_text(str(markdown_to_html(markdown)))


_BLOCK_HTML = {
    "p": "<p>{}</p>",
    "h1": "<h1>{}</h1>",
    "h3": "<h3>{}</h3>",
    "li": "<ul><li>{}</li></ul>",
    "ol": "<ol><li><p>{}</p></li></ol>",
    "quote": "<blockquote>{}</blockquote>",
    "td": "<table><tr><td>{}</td></tr></table>",
    "dd": "<dl><dd>{}</dd></dl>",
    "pre": "<pre>{}</pre>",
    "br": "{}<br>",
    "link": '<p><a href="https://x.example/">{}</a></p>',
}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(_BLOCK_HTML)), st.lists(_words, min_size=1, max_size=3)),
        min_size=1,
        max_size=6,
    )
)
def test_every_word_of_a_summary_appears_once_and_blocks_never_run_together(blocks):
    summary = "".join(_BLOCK_HTML[kind].format(" ".join(words)) for kind, words in blocks)
    text = html_to_readable_text(summary)
    assert re.findall(r"w\d+", text) == [word for _, words in blocks for word in words]
    assert not re.search(r"\dw", text)  # no two words run together


# With an h1, every heading goes one level down, so the levels stay apart -----------------


def _heading_levels(html: str) -> list[tuple[str, str]]:
    tree = LexborHTMLParser(html)
    return [(node.tag, node.text()) for node in tree.css("h1, h2, h3, h4, h5, h6")]


@pytest.mark.parametrize(
    ("markdown", "levels"),
    [
        ("# Big\n\n## small", [("h2", "Big"), ("h3", "small")]),
        (
            "# 1\n\n## 2\n\n### 3\n\n#### 4\n\n##### 5\n\n###### 6",
            [("h2", "1"), ("h3", "2"), ("h4", "3"), ("h5", "4"), ("h6", "5"), ("h6", "6")],
        ),
        ("## small\n\n# Big\n\n### smaller", [("h3", "small"), ("h2", "Big"), ("h4", "smaller")]),
        ("Big\n===\n\nsmall\n---", [("h2", "Big"), ("h3", "small")]),
        ("> # In a quote\n\n## Outside", [("h2", "In a quote"), ("h3", "Outside")]),
        ("- # In a list\n\n  ## Below", [("h2", "In a list"), ("h3", "Below")]),
        ("## Second\n\n### Third", [("h2", "Second"), ("h3", "Third")]),
        ("### Third\n\n###### Sixth", [("h3", "Third"), ("h6", "Sixth")]),
    ],
    ids=["two", "all six", "h1 later", "setext", "quoted", "in a list", "no h1", "no h1 deep"],
)
def test_with_an_h1_every_heading_goes_one_level_down(markdown, levels):
    assert _heading_levels(str(markdown_to_html(markdown))) == levels


@pytest.mark.parametrize(
    ("summary", "levels"),
    [
        (
            "<h1>Title</h1><h2>Part</h2><h3>Sub</h3>",
            [("h2", "Title"), ("h3", "Part"), ("h4", "Sub")],
        ),
        ("<H2>Part</H2><H1>Title</H1>", [("h3", "Part"), ("h2", "Title")]),
        ("<h1><b>Outer <h2>inner</h2></b></h1>", [("h2", "Outer inner"), ("h3", "inner")]),
        ("<h2>Part</h2><h4>Sub</h4>", [("h2", "Part"), ("h4", "Sub")]),
        (
            "<h5>Five</h5><h6>Six</h6><h1 class=x>One</h1>",
            [("h6", "Five"), ("h6", "Six"), ("h2", "One")],
        ),
    ],
    ids=["three", "upper case", "nested", "no h1", "h5 and h6"],
)
def test_feed_headings_keep_their_order_of_levels_too(summary, levels):
    cleaned = str(clean_html(summary))
    assert _heading_levels(cleaned) == levels
    assert clean_html(cleaned) == cleaned  # shifted once: outputs clean again


def test_headings_shifted_keep_their_words_links_and_formatting():
    html = str(markdown_to_html("# **Bold** [link](https://x.example/)\n\n## *Sub* `code`"))
    assert '<h2><strong>Bold</strong> <a href="https://x.example/"' in html
    assert "<h3><em>Sub</em> <code>code</code></h3>" in html
    assert markdown_to_text("# Big\n\n## small") == "Big\n---\n\nsmall\n-----"


@pytest.mark.parametrize(
    "html", ["<h1>t</h1>" + "<h2><b>" * 1500, "<h1><b>" * 1500, "<h1>t</h1>" + "<h5>x</h5>" * 2000]
)
def test_shifting_nested_headings_stays_fast(html):
    started = time.perf_counter()
    clean_html(html)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "shape",
    [
        "<ul><li>w{}",
        "<blockquote>w{}",
        "<dl><dd>w{}",
        "<ol><li><p>w{}",
        "<table><tr><td>w{}",
        "<i>w{}<p>",
        '<a href="https://x.example/">w{}<p>',
    ],
)
def test_summaries_nested_beyond_reason_keep_their_words_and_stay_fast(shape):
    summary = "".join(shape.format(n) for n in range(2000))
    started = time.perf_counter()
    text = html_to_readable_text(summary)
    assert time.perf_counter() - started < 2.0
    assert re.findall(r"w\d+", text) == [f"w{n}" for n in range(2000)]


def test_divided_blocks_of_a_summary_stay_apart():
    html = "<div>Ofcom fined the provider.</div><div class='x' onclick='y'>Read the report.</div>"
    assert "<div>Read the report.</div>" in str(clean_html(html))
    assert html_to_readable_text(html) == "Ofcom fined the provider.\n\nRead the report."


@pytest.mark.parametrize("href", ['href=""', 'href="  "', "", 'href="javascript:alert(1)"'])
def test_a_link_to_nowhere_is_its_text(href):
    """Feeds write '<a href="">Read more</a>': no link in the HTML, no '()' in the text."""
    html = f"<p>A study of 21 children. <a {href}>Read more</a></p>"
    assert str(clean_html(html)) == "<p>A study of 21 children. Read more</p>"
    assert html_to_readable_text(html) == "A study of 21 children. Read more"
