"""Guidance comparison on generated documents: exactly the real changes, no false ones,
the right pages and paragraph numbers, and the change note checked against them."""

import copy
import email
import email.policy
import json

import pytest
from click.testing import CliRunner
from guidance_docs import filler, guidance_html, guidance_pdf, numbered_pages, wttsc_pages

from publisher.cli import cli
from publisher.comparison import compare_files, word_diff
from publisher.comparison.crosscheck import cross_check
from publisher.comparison.extract import normalise, read_document

TITLE = "Working Together to Safeguard Children"


@pytest.fixture(scope="module")
def base_pages():
    """30 pages: two numbered paragraphs a page from page 3 and one with a footnote on
    page 6 (so paragraphs 48 and 49 are on page 26), bullets and a table."""
    pages = numbered_pages(3, 30)
    pages[3].insert(1, ("footnote", filler(901, 30), "Section 16E of the Children Act 2004."))
    pages[4] += [("bullet", filler(902, 12)), ("bullet", filler(903, 12))]
    pages[4].append(("table", [["Role", "Responsibility"], ["DSL", "Leads on safeguarding"]]))
    return pages


@pytest.fixture(scope="module")
def base_pdf(base_pages):
    return guidance_pdf(base_pages, TITLE, "December 2023")


def edited(pages, edit) -> list:
    copied = copy.deepcopy(pages)
    edit(copied)
    return copied


def changes_between(old_pdf: bytes, new_pages: list, edition="December 2023"):
    return compare_files(old_pdf, guidance_pdf(new_pages, TITLE, edition), "old.pdf", "new.pdf")


def kinds(comparison):
    return [change.kind for change in comparison.changes]


# Extraction ----------------------------------------------------------------------------


def test_blocks_carry_page_heading_and_paragraph(base_pdf):
    document = read_document(base_pdf, "wt.pdf")
    assert document.pages == 30
    paragraph_48 = next(block for block in document.blocks if block.paragraph == "48")
    assert paragraph_48.page == 26
    assert paragraph_48.heading == "Chapter 2: Arrangements part 20"
    assert paragraph_48.text == filler(260)
    texts = " ".join(block.text for block in document.blocks)
    assert TITLE not in texts  # cover, contents and the running header are gone
    assert "Contents" not in texts
    numbers = [int(block.paragraph) for block in document.blocks if block.paragraph]
    assert numbers == list(range(1, len(numbers) + 1))  # no page number read as a paragraph


def test_footnote_markers_dropped_and_footnotes_kept_apart(base_pdf):
    document = read_document(base_pdf, "wt.pdf")
    paragraph = next(block for block in document.blocks if block.text == filler(901, 30))
    assert paragraph.paragraph == "8" and paragraph.page == 6
    footnote = next(block for block in document.blocks if block.kind == "footnote")
    assert "Children Act 2004" in footnote.text


def test_bullets_and_table_rows_are_blocks(base_pdf):
    document = read_document(base_pdf, "wt.pdf")
    bullets = [block for block in document.blocks if block.kind == "bullet"]
    assert [block.text for block in bullets] == [filler(902, 12), filler(903, 12)]
    assert any("DSL Leads on safeguarding" in block.text for block in document.blocks)


@pytest.mark.parametrize(
    "raw, plain",
    [
        ("e\ufb03cient \ufb01ling", "efficient filing"),
        ("\u201cmust\u201d and \u2018should\u2019", "\"must\" and 'should'"),
        ("lead\u00a0safeguarding   partners", "lead safeguarding partners"),
    ],
)
def test_ligatures_quotes_and_spaces_are_normalised(raw, plain):
    assert normalise(raw) == plain


def test_curly_quotes_in_one_edition_are_not_a_change(base_pdf, base_pages):
    def curl(pages):
        pages[10][0] = ("para", "Partners \u201cmust\u201d act; they \u2018should\u2019 share.")

    def straight(pages):
        pages[10][0] = ("para", "Partners \"must\" act; they 'should' share.")

    old = guidance_pdf(edited(base_pages, straight), TITLE)
    assert kinds(changes_between(old, edited(base_pages, curl))) == []


def test_words_hyphenated_at_line_ends_are_rejoined(base_pdf, base_pages):
    def hyphenate(pages):
        pages[6][0] = (
            "para",
            "Local arrange-\nments must be published and multi-\nagency plans kept.",
        )

    def whole(pages):
        pages[6][0] = ("para", "Local arrangements must be published and multi-agency plans kept.")

    old = guidance_pdf(edited(base_pages, hyphenate), TITLE)
    assert kinds(changes_between(old, edited(base_pages, whole))) == []


# What counts as a change ---------------------------------------------------------------


def test_wording_changed_in_one_paragraph(base_pdf, base_pages):
    def amend(pages):
        pages[23][0] = ("para", filler(260).replace(filler(260).split()[2], "amended", 1))

    comparison = changes_between(base_pdf, edited(base_pages, amend))
    [change] = comparison.changes
    assert change.kind == "changed"
    assert (change.old.page, change.old.paragraph) == (26, "48")
    assert (change.new.page, change.new.paragraph) == (26, "48")
    assert ("insert", "amended ") in change.diff
    assert comparison.renumbered == []


def test_an_inserted_paragraph_renumbers_every_later_one(base_pdf, base_pages):
    def insert(pages):
        pages[7].insert(1, ("para", "Schools should check their filtering and monitoring."))

    comparison = changes_between(base_pdf, edited(base_pages, insert))
    [change] = comparison.changes
    assert change.kind == "added" and change.new.paragraph == "16" and change.new.page == 10
    total = sum(1 for block in read_document(base_pdf, "x").blocks if block.paragraph)
    assert comparison.renumbered == [(str(n), str(n + 1)) for n in range(16, total + 1)]


def test_a_deleted_paragraph(base_pdf, base_pages):
    def delete(pages):
        del pages[12][0]

    comparison = changes_between(base_pdf, edited(base_pages, delete))
    [change] = comparison.changes
    assert change.kind == "removed"
    assert (change.old.page, change.old.paragraph) == (15, "26")
    assert comparison.renumbered[0] == ("27", "26")


def test_a_moved_section_is_moved_not_removed_and_added(base_pdf, base_pages):
    def move(pages):
        section = pages[17]  # page 20: the chapter heading and two paragraphs
        pages.remove(section)
        pages.append(section)

    comparison = changes_between(base_pdf, edited(base_pages, move))
    assert set(kinds(comparison)) == {"moved"}
    assert len(comparison.changes) == 3
    heading = comparison.changes[0]
    assert heading.new.kind == "heading" and (heading.old.page, heading.new.page) == (20, 30)


def test_text_reflowed_onto_the_next_page_is_not_a_change(base_pdf, base_pages):
    def reflow(pages):
        pages[9].insert(0, pages[8].pop())  # page 11's last paragraph now starts page 12

    comparison = changes_between(base_pdf, edited(base_pages, reflow))
    assert comparison.changes == [] and comparison.renumbered == []


def test_a_paragraph_split_across_pages_is_one_paragraph(base_pdf, base_pages):
    def split(pages):
        words = filler(121).split()  # the last paragraph of page 12
        pages[9][1] = ("para", " ".join(words[:30]))
        pages[10].insert(0, ("continued", " ".join(words[30:])))

    old = guidance_pdf(edited(base_pages, split), TITLE)
    document = read_document(old, "split.pdf")
    joined = next(block for block in document.blocks if block.paragraph == "21")
    assert joined.text == filler(121) and joined.page == 12
    assert changes_between(old, base_pages).changes == []


def test_only_the_edition_date_in_headers_and_cover_changed(base_pdf, base_pages):
    comparison = changes_between(base_pdf, base_pages, edition="February 2024")
    assert comparison.changes == [] and comparison.renumbered == []


def test_word_diff_marks_only_what_changed():
    assert word_diff(
        "Contact the panel at a@x.gov.uk today", "Contact the panel at b@x.gov.uk today"
    ) == (
        ("equal", "Contact the panel at "),
        ("delete", "a@x.gov.uk "),
        ("insert", "b@x.gov.uk "),
        ("equal", "today"),
    )


# HTML publications -----------------------------------------------------------------------


def test_html_publications_compare_by_paragraph_number(base_pages):
    def amend(pages):
        pages[23][0] = ("para", filler(260).replace(" ", " lead safeguarding partners ", 1))
        pages[7].insert(0, ("para", "A new paragraph."))

    old = guidance_html(base_pages, TITLE).encode()
    new = guidance_html(edited(base_pages, amend), TITLE).encode()
    comparison = compare_files(old, new, "old.html", "new.html")
    assert sorted(kinds(comparison)) == ["added", "changed"]
    changed = next(change for change in comparison.changes if change.kind == "changed")
    assert (changed.old.paragraph, changed.new.paragraph, changed.new.page) == ("48", "49", None)
    assert changed.new.heading == "Chapter 2: Arrangements part 20"


# The 23 February 2024 Working Together change, as a pair of generated PDFs ---------------

WTTSC_NOTE = "\n".join(
    [
        "We have made the following changes:",
        "Page 26, paragraph 48: amended the wording used to describe lead safeguarding partners",
        "Page 42: corrected the Child Safeguarding Practice Review Panel email address.",
        "Page 161: updated the glossary definition of 'safeguarding and promoting the welfare"
        " of children' to match that on pg 7 to 8",
        "Page 167: linked to the latest version of 'Good practice guidance on working with"
        " parents with a learning disability'.",
    ]
)


@pytest.fixture(scope="module")
def wttsc():
    old = guidance_pdf(wttsc_pages(False), TITLE, "December 2023")
    new = guidance_pdf(wttsc_pages(True), TITLE, "February 2024")
    return old, new


def test_the_wttsc_change_note_is_confirmed_by_the_documents(wttsc):
    comparison = compare_files(*wttsc, "wttsc-2023.pdf", "wttsc-2024.pdf")
    assert comparison.new["pages"] == 170
    assert sorted((change.new.page, change.new.paragraph) for change in comparison.changes) == [
        (26, "48"),
        (42, None),
        (161, None),
        (167, None),
    ]
    check = cross_check(WTTSC_NOTE, comparison)
    assert [item.status for item in check.checks] == ["confirmed"] * 4
    assert check.unmentioned == ()


def test_a_note_claiming_what_did_not_change_is_not_found(wttsc):
    comparison = compare_files(*wttsc, "old.pdf", "new.pdf")
    check = cross_check(
        "Page 30, paragraph 55: updated wording. Annex B: new contacts.", comparison
    )
    assert [item.status for item in check.checks] == ["not found", "not found"]
    assert len(check.unmentioned) == 4


# The command ---------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(cli, ["compare", *map(str, args)])


def test_compare_prints_changes_with_pages_paragraphs_and_the_note_check(wttsc, tmp_path):
    (tmp_path / "old.pdf").write_bytes(wttsc[0])
    (tmp_path / "new.pdf").write_bytes(wttsc[1])
    result = run(tmp_path / "old.pdf", tmp_path / "new.pdf", "--note", WTTSC_NOTE)
    assert result.exit_code == 0, result.output
    assert "4 changed." in result.output
    assert "CHANGED  Paragraph 48 (page 26)" in result.output
    assert (
        "[-mailbox@csprpanel.gov.uk.-] {+mailbox@childsafeguardingpanel.gov.uk.+}" in result.output
    )
    assert result.output.count("CONFIRMED") == 4 and "UNMENTIONED" not in result.output


def test_compare_json_has_the_documented_shape(wttsc, tmp_path):
    (tmp_path / "old.pdf").write_bytes(wttsc[0])
    (tmp_path / "new.pdf").write_bytes(wttsc[1])
    result = run(
        tmp_path / "old.pdf", tmp_path / "new.pdf", "--format", "json", "--note", WTTSC_NOTE
    )
    data = json.loads(result.output)
    assert set(data) == {"old", "new", "changes", "renumbered", "summary", "cross_check"}
    assert data["new"]["pages"] == 170
    first = data["changes"][0]
    assert first["kind"] == "changed"
    assert set(first["new"]) == {"page", "paragraph", "heading", "text"}
    assert first["new"]["paragraph"] == "48" and first["old"]["page"] == 26
    assert all(operation in ("equal", "delete", "insert") for operation, _ in first["diff"])
    assert {row["heading"] for row in data["summary"]} >= {"Glossary"}
    assert [ref["status"] for ref in data["cross_check"]["references"]] == ["confirmed"] * 4


def test_compare_markdown_is_an_edition_summary(base_pdf, base_pages, tmp_path):
    def edit(pages):
        pages[7].insert(1, ("para", "Schools should check their filtering and monitoring."))
        pages[23][0] = ("para", filler(260) + " Added words.")

    (tmp_path / "old.pdf").write_bytes(base_pdf)
    (tmp_path / "new.pdf").write_bytes(guidance_pdf(edited(base_pages, edit), TITLE))
    result = run(tmp_path / "old.pdf", tmp_path / "new.pdf", "--format", "markdown")
    text = result.output
    assert "| Chapter 2: Arrangements part 20 | 1 | 0 | 0 | 0 |" in text
    assert "## New paragraphs\n\n- **Paragraph 16 (page 10)**: Schools should check" in text
    assert "| 16-57 | 17-58 |" in text
    assert "**Added words.**" in text


def test_compare_fetches_web_addresses(httpserver, base_pages):
    httpserver.expect_request("/old").respond_with_data(guidance_html(base_pages, TITLE))
    new = edited(base_pages, lambda pages: pages[3].append(("para", "A new duty.")))
    httpserver.expect_request("/new").respond_with_data(guidance_html(new, TITLE))
    result = run(httpserver.url_for("/old"), httpserver.url_for("/new"))
    assert result.exit_code == 0, result.output
    assert "ADDED  Paragraph 10\n  A new duty." in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        (b"%PDF-1.7 not really", "not a readable PDF"),
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "no text found"),
        (b"<html><body></body></html>", "no text found"),
    ],
)
def test_unreadable_documents_are_one_line_errors(tmp_path, base_pdf, content, message):
    (tmp_path / "bad").write_bytes(content)
    (tmp_path / "good.pdf").write_bytes(base_pdf)
    result = run(tmp_path / "bad", tmp_path / "good.pdf")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_compare_of_a_missing_file(tmp_path):
    result = run(tmp_path / "nothere.pdf", tmp_path / "nothere2.pdf")
    assert result.exit_code == 2 and "nothere.pdf: no such file" in result.output


@pytest.mark.browser
def test_the_html_comparison_is_accessible(wttsc, tmp_path, chromium):
    from conftest import axe_violations

    (tmp_path / "old.pdf").write_bytes(wttsc[0])
    (tmp_path / "new.pdf").write_bytes(wttsc[1])
    out = tmp_path / "comparison.html"
    result = run(
        tmp_path / "old.pdf",
        tmp_path / "new.pdf",
        "--format",
        "html",
        "--note",
        WTTSC_NOTE,
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    page = chromium.new_page()
    try:
        page.goto(out.as_uri())
        assert page.locator("ins").first.inner_text().startswith("added:")
        assert page.locator("del").first.inner_text().startswith("removed:")
        assert page.get_by_text("Confirmed").count() == 4
        assert axe_violations(page) is None
    finally:
        page.close()


# Through `publisher check`: a replaced PDF on a watched GOV.UK page ----------------------

WTTSC_PATH = "/government/publications/working-together-to-safeguard-children--2"


@pytest.fixture
def gov_uk_with_pdfs(server, project, wttsc):
    """A GOV.UK page whose PDF is re-uploaded (new address, same title) with the 23 Feb
    2024 change note, its files served beside it."""
    from werkzeug import Response

    from conftest import fixture_bytes

    page = {}
    server.expect_request(f"/api/content{WTTSC_PATH}").respond_with_handler(
        lambda request: Response(page["body"], content_type="application/json")
    )
    for upload, content in zip(("1", "2"), wttsc, strict=True):
        server.expect_request(f"/media/{upload}/wttsc.pdf").respond_with_data(
            content, content_type="application/pdf"
        )
    project.configure(
        [{"id": "wttsc", "kind": "govuk", "url": WTTSC_PATH}],
        settings={"govuk_base_url": server.url_for("").rstrip("/"), "timeout": 5},
    )

    def publish(fixture: str, upload: str) -> None:
        content = json.loads(fixture_bytes(f"govuk/{fixture}"))
        content["details"]["attachments"][0]["url"] = server.url_for(f"/media/{upload}/wttsc.pdf")
        page["body"] = json.dumps(content)

    return publish


def test_check_compares_a_replaced_pdf_and_checks_the_note(gov_uk_with_pdfs, project):
    gov_uk_with_pdfs("wttsc-v1.json", "1")
    project.run("check")
    assert len(list((project.data_dir / "documents").glob("*.bin"))) == 1  # the 2023 edition
    gov_uk_with_pdfs("wttsc-v2.json", "2")
    project.run("check")
    changes = project.changes()
    [major] = [change for change in changes if change["kind"] == "major"]
    comparison = major["comparison"]
    assert [ref["status"] for ref in comparison["cross_check"]["references"]] == ["confirmed"] * 4
    assert comparison["cross_check"]["unmentioned"] == []
    assert {(c["new"]["page"], c["new"]["paragraph"]) for c in comparison["changes"]} == {
        (26, "48"),
        (42, None),
        (161, None),
        (167, None),
    }
    shown = project.run("changes", "--show", str(major["id"])).output
    assert "CHANGED  Paragraph 48 (page 26)" in shown
    assert shown.count("CONFIRMED") == 4


def test_a_pdf_that_cannot_be_read_leaves_the_change_and_says_why(
    gov_uk_with_pdfs, project, server
):
    server.expect_request("/media/3/wttsc.pdf").respond_with_data(b"%PDF-1.7 broken")
    gov_uk_with_pdfs("wttsc-v1.json", "1")
    project.run("check")
    gov_uk_with_pdfs("wttsc-v2.json", "3")
    project.run("check")
    changes = project.changes()
    [major] = [change for change in changes if change["kind"] == "major"]
    assert "not a readable PDF" in major["comparison"]["error"]
    assert len(major["refs"]) == 4  # the change itself is recorded as ever


def test_changes_show_of_an_unknown_change(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    result = project.run("changes", "--show", "99", expect=2)
    assert "no change #99" in result.output


def test_the_comparison_reaches_the_alert_the_mi_draft_the_bulletin_and_the_site(
    gov_uk_with_pdfs, project, tmp_path
):
    gov_uk_with_pdfs("wttsc-v1.json", "1")
    project.run("check")
    gov_uk_with_pdfs("wttsc-v2.json", "2")
    project.run("check")
    [alert] = [
        path for path in (project.data_dir / "outbox").glob("*.eml") if "changed" in path.name
    ]
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "The documents confirm 4 of the note's 4 page or paragraph references." in text
    assert "Paragraph 48 (page 26): Lead safeguarding partners should agree" in text
    major = next(c for c in project.changes() if c["kind"] == "major")
    project.run("mi", "new", "--from-change", str(major["id"]))
    body = project.run("mi", "show", "1", "--format", "json").output
    assert "- Paragraph 48 (page 26): Lead safeguarding partners" in json.loads(body)["body"]
    project.run("bulletin", "build", "--month", "2024-02")
    bulletin = project.run("bulletin", "show", "--month", "2024-02").output
    assert "  - Paragraph 48 (page 26): Lead safeguarding partners should agree how" in bulletin
    assert f"changes/{major['id']}.html" in bulletin
    project.run("build", "--output", str(tmp_path / "site"))
    page = (tmp_path / "site" / "changes" / f"{major['id']}.html").read_text()
    assert '<ins><span class="visually-hidden">added: </span>Lead </ins>' in page
    assert page.count(">Confirmed<") == 4


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        '<a href="javascript:alert(1)">link</a>',
    ],
)
def test_hostile_text_in_a_document_stays_text_in_every_output(tmp_path, hostile):
    old = '<div class="govspeak"><h2>Part 1</h2><p>1. Schools must act.</p></div>'
    new = f'<div class="govspeak"><h2>Part 1</h2><p>1. Schools must act. {hostile}</p></div>'
    (tmp_path / "old.html").write_text(old)
    (tmp_path / "new.html").write_text(new)
    for output_format in ("html", "markdown"):  # text and JSON show the document's text
        result = run(tmp_path / "old.html", tmp_path / "new.html", "--format", output_format)
        assert result.exit_code == 0, result.output
        assert "<script" not in result.output and "<img" not in result.output
        assert 'href="javascript' not in result.output


def test_terminal_escapes_in_a_document_never_reach_the_terminal(tmp_path):
    (tmp_path / "old.html").write_text("<p>1. Schools must act.</p>")
    (tmp_path / "new.html").write_text("<p>1. Schools must act \x1b[2J\x1b]0;owned\x07now.</p>")
    output = run(tmp_path / "old.html", tmp_path / "new.html").output
    assert "\x1b" not in output and "\x07" not in output
    assert "[-act.-] {+act now.+}" in output
