"""The plain-text part of an email (all that GOV.UK Notify readers get): everything the HTML
shows, once, in reading order, with quotes, numbering, nesting and tables kept readable."""

import email
import email.policy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.render import markdown_to_html, markdown_to_text


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
