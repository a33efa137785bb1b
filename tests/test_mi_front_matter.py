"""An MI sheet's front matter is the whole truth of the sheet: unknown keys refused with the
key meant, '---' only a delimiter on a line by itself, a deleted key an empty field, a title
required and bounded everywhere, dates and deadlines checked with one clear line; and text
quoted from GOV.UK into a drafted sheet stays plain text."""

import json
import re
from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.config import load_config
from publisher.models import Change, Notice
from publisher.notices import NoticeError, draft_from_change
from publisher.refs import parse_note
from publisher.render import markdown_to_html
from publisher.sheet_files import from_markdown, to_markdown
from publisher.sources import source_kinds
from publisher.store import Store

NEWS = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/", "audiences": ["dsls"]}]
SHEET = Notice(
    type="Action", title="Before", contact="Jo", audiences=("dsls",), due="7", replaces="1/24"
)


@pytest.fixture
def mi(project):
    project.configure(NEWS)

    def run(*args, expect=0):
        return project.run("mi", *args, expect=expect)

    return run


def sheet(front: str, body: str = "Body\n") -> str:
    return f"---\n{front}---\n{body}"


def edit(mi, tmp_path, text: str, expect: int = 0, reference: str = "1"):
    path = tmp_path / "sheet.md"
    path.write_text(text, encoding="utf-8")
    return mi("edit", reference, "--file", str(path), expect=expect)


def show(mi, reference: str = "1") -> dict:
    return json.loads(mi("show", reference, "--format", "json").output)


# Unknown keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("audience: [governors]", "line 3: unknown key 'audience' (did you mean 'audiences'?)"),
        ("titel: Hi", "line 3: unknown key 'titel' (did you mean 'title'?)"),
        ("Title: Hi", "line 3: unknown key 'Title' (did you mean 'title'?)"),
        ("contacts: Jo", "line 3: unknown key 'contacts' (did you mean 'contact'?)"),
        ("deadline: 7", "line 3: unknown key 'deadline' (known: audiences, contact, due,"),
        ("1: one", "line 3: unknown key '1' (known: audiences"),
        ("'null': nothing", "line 3: unknown key 'null' (known: audiences"),
    ],
)
def test_unknown_front_matter_keys_are_refused_with_the_key_meant(line, said):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"title: Hi\n{line}\ntype: Action\n"), SHEET)
    assert said in str(refused.value)


def test_a_misspelt_key_in_the_cli_editor_changes_nothing(mi, tmp_path):
    mi("new", "--title", "Hi", "--audience", "dsls")
    refused = edit(mi, tmp_path, sheet("title: Hi\ntype: Action\naudience: [governors]\n"), 2)
    assert "unknown key 'audience' (did you mean 'audiences'?)" in refused.output
    assert show(mi)["audiences"] == ["DSLs"]


# A deleted key is an empty field ----------------------------------------------------------


def test_deleting_an_optional_key_empties_the_field():
    edited = from_markdown(sheet("title: After\ntype: Information\n"), SHEET)
    assert (edited.title, edited.type) == ("After", "Information")
    assert (edited.due, edited.replaces, edited.contact, edited.audiences) == (None, None, "", ())


def test_a_deleted_replaces_line_clears_it_and_a_missing_sheet_is_refused(mi, tmp_path):
    mi("new", "--title", "Original", "--audience", "dsls")
    mi("approve", "1")
    mi("publish", "1", "--at", "2024-01-03 10:00")
    mi("new", "--title", "Correction", "--audience", "dsls")
    front = "title: Correction\ntype: Action\naudiences: [dsls]\n"
    refused = edit(mi, tmp_path, sheet(front + "replaces: 99/99\n"), 2, reference="2")
    assert "no MI sheet '99/99'" in refused.output
    edit(mi, tmp_path, sheet(front + "replaces: 1/24\n"), reference="2")
    assert show(mi, "2")["replaces"] == "1/24"
    edit(mi, tmp_path, sheet(front), reference="2")
    assert show(mi, "2")["replaces"] is None


@pytest.mark.parametrize("front", ["type: Action\n", "title: Hi\n"])
def test_title_and_type_cannot_be_deleted(front):
    with pytest.raises(NoticeError, match="the front matter has no '(title|type)'"):
        from_markdown(sheet(front), SHEET)


# '---' delimits only on a line by itself ---------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["KCSIE 2024 --- what changes", "--- leading", "trailing ---", "a---b", "'---'"],
)
def test_dashes_inside_a_value_are_part_of_it(mi, tmp_path, title):
    mi("new", "--title", "Dash", "--audience", "dsls")
    text = sheet(f"title: {title}\ntype: Action\ndue: 7\naudiences: [dsls]\n", "Body text\n")
    edit(mi, tmp_path, text)
    fields = show(mi)
    assert (fields["title"], fields["body"]) == (title.strip("'"), "Body text")
    assert "\ndue: 7\n" in mi("show", "1", "--format", "markdown").output


@pytest.mark.parametrize(
    "text",
    [
        "---\r\ntitle: Hi\r\ntype: Action\r\ndue: 3\r\n---\r\nBody\r\n",  # a browser's textarea
        "\ufeff---\ntitle: Hi\ntype: Action\ndue: 3\n---\nBody\n",  # Notepad's byte-order mark
        "---  \ntitle: Hi\ntype: Action\ndue: 3\n--- \t\nBody\n",  # spaces after the lines
    ],
)
def test_front_matter_lines_as_editors_write_them(text):
    edited = from_markdown(text, SHEET)
    assert (edited.title, edited.due, edited.body) == ("Hi", "3", "Body")


def test_a_rule_in_the_body_stays_in_the_body():
    edited = from_markdown(sheet("title: Hi\ntype: Action\n", "Above\n\n---\n\nBelow\n"), SHEET)
    assert edited.body == "Above\n\n---\n\nBelow"


@pytest.mark.parametrize(
    "text", ["---\ntitle: Hi --- there\n", "---\ntitle: Hi\n----\nBody\n", "--- \ntitle: x"]
)
def test_front_matter_without_its_closing_line_is_refused(text):
    with pytest.raises(NoticeError, match="closing '---' line"):
        from_markdown(text, SHEET)


# Titles: required, bounded, clean -----------------------------------------------------------


@pytest.mark.parametrize("title", ['""', "''", "", "'   '", '"\\t"', '"\\0"'])
def test_an_empty_title_is_refused_in_the_editor(title):
    with pytest.raises(NoticeError, match="the title is empty"):
        from_markdown(sheet(f"title: {title}\ntype: Action\n"), SHEET)


@pytest.mark.parametrize(
    ("title", "ok"),
    [("x" * 200, True), ("x" * 201, False), ("é" * 201, False), ("y" * 5000, False)],
)
def test_titles_are_200_characters_at_most_in_the_editor_and_the_cli(mi, title, ok):
    if ok:
        assert from_markdown(sheet(f"title: {title}\ntype: Action\n"), SHEET).title == title
        mi("new", "--title", title)
        return
    with pytest.raises(NoticeError, match="keep the title to 200 characters or fewer"):
        from_markdown(sheet(f"title: {title}\ntype: Action\n"), SHEET)
    assert "keep the title to 200 characters" in mi("new", "--title", title, expect=2).output


@pytest.mark.parametrize("title", ["", "   ", "\t\n", "\x00\x01"])
def test_the_cli_refuses_an_empty_title(mi, title):
    assert "the title is empty" in mi("new", "--title", title, expect=2).output


def test_titles_and_fields_are_cleaned(mi, tmp_path):
    mi("new", "--title", "Hi\x00 there\x1b[31m  now", "--audience", "dsls")
    assert show(mi)["title"] == "Hi there now"
    front = 'title: "Tab\\there\\u0007"\ntype: Action\ncontact: "Jo\\u0000 Bloggs"\n'
    edit(mi, tmp_path, sheet(front, "Body\x07 kept\n\n\n\n\nend\n"))
    fields = show(mi)
    assert (fields["title"], fields["contact"]) == ("Tab here", "Jo Bloggs")
    assert fields["body"] == "Body kept\n\nend"


def stored_sheet(project, **fields) -> str:
    """A sheet written before titles were checked (straight into the store)."""
    store = Store(project.data_dir)
    with store.transaction():
        notice = store.add_notice(
            Notice(
                **{"type": "Action", "title": "", "contact": "Jo", "audiences": ("dsls",)} | fields
            )
        )
    store.close()
    return str(notice.id)


@pytest.mark.parametrize("title", ["", "z" * 300])
def test_approving_or_publishing_a_sheet_without_a_good_title_is_refused(mi, project, title):
    mi("list")  # make the store
    draft = stored_sheet(project, title=title)
    refused = mi("approve", draft, expect=2).output
    assert f"'publisher mi edit {draft}'" in refused
    assert ("the title is empty" if not title else "keep the title to 200 characters") in refused
    approved = stored_sheet(project, title=title, status="approved")
    refused = mi("publish", approved, "--at", "2024-01-03 10:00", expect=2).output
    assert "title" in refused and "Published" not in refused


# Dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "said"),
    [
        ("2024-02-30", "due '2024-02-30' is not a date (day is out of range for month)"),
        ("2024-13-01", "due '2024-13-01' is not a date (month must be in 1..12)"),
        ("2023-02-29", "due '2023-02-29' is not a date (day is out of range for month)"),
        ("30/02/2024", "due '30/02/2024' is not a date (day is out of range for month)"),
    ],
)
def test_an_impossible_due_date_is_one_line_naming_the_field(due, said):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"title: Hi\ntype: Action\ndue: {due}\n"), SHEET)
    message = str(refused.value)
    assert said in message
    assert message.startswith("line 4: ")
    assert "\n" not in message and "ValueError" not in message and "(" + "'" not in message


# Deadlines on days schools are closed ------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "said"),
    [
        (
            "2024-12-25",
            "due 25/12/2024 is Wednesday, Christmas Day (a bank holiday): schools are closed; "
            "use the next working day, Friday 27/12/2024",
        ),
        (
            "28/12/2024",
            "due 28/12/2024 is a Saturday: schools are closed; "
            "use the next working day, Monday 30/12/2024",
        ),
        (
            "2024-05-06",
            "due 06/05/2024 is Monday, May Day (a bank holiday): schools are closed; "
            "use the next working day, Tuesday 07/05/2024",
        ),
        ("2024-03-31", "due 31/03/2024 is a Sunday"),
    ],
)
def test_a_deadline_on_a_weekend_or_bank_holiday_is_refused(mi, tmp_path, due, said):
    refused = mi("new", "--title", "T", "--audience", "dsls", "--due", due, expect=2).output
    assert said in refused
    mi("new", "--title", "T", "--audience", "dsls")
    refused = edit(mi, tmp_path, sheet(f"title: T\ntype: Action\ndue: {due}\n"), 2).output
    assert said in refused


def test_a_stored_deadline_on_a_holiday_is_refused_at_publication(mi, project):
    mi("list")
    approved = stored_sheet(project, title="Old", status="approved", due="2024-12-25")
    refused = mi("publish", approved, "--at", "2024-12-16 09:00", expect=2).output
    assert "Christmas Day" in refused and "Friday 27/12/2024" in refused


@pytest.mark.parametrize("due", ["2024-12-27", "27/12/2024", "7"])
def test_working_day_deadlines_are_accepted(mi, due):
    mi("new", "--title", "T", "--audience", "dsls", "--due", due)
    mi("approve", "1")
    assert "Published MI 1/24" in mi("publish", "1", "--at", "2024-12-16 09:00").output


@pytest.mark.parametrize("due", ["²", "١٢", "7.5", "-3", "true"])
def test_odd_numbers_of_days_are_refused_not_a_traceback(due):
    with pytest.raises(NoticeError, match="neither a number of working days nor a date"):
        from_markdown(sheet(f"title: Hi\ntype: Action\ndue: {due}\n"), SHEET)


# Text from GOV.UK in a drafted sheet is plain text -----------------------------------------


def change(note: str = "", title: str = "Keeping children safe", details: str = "") -> Change:
    return Change(
        source_id="news",
        key="kcsie",
        url="https://www.gov.uk/government/publications/kcsie",
        title=title,
        kind="major",
        statutory=True,
        note=note,
        refs=tuple(parse_note(note)) if note else (),
        details=details,
        changed_at=datetime(2024, 2, 23, 12, 48),
        id=9,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    import yaml

    from conftest import BASE_CONFIG

    path = tmp_path_factory.mktemp("config") / "feeds.yaml"
    path.write_text(yaml.safe_dump({**BASE_CONFIG, "sources": NEWS}))
    return load_config(path, source_kinds())


HOSTILE = (
    "see [the new form](https://evil.example/phish) and ![x](https://tracker.example/p.png) "
    "**urgent** <https://evil.example/auto> <b>bold</b> &amp; `code` _under_ # Heading"
)


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(
    "drafted",
    [
        lambda: change(note=f"Page 15: {HOSTILE}"),  # an entry with a locator
        lambda: change(note=HOSTILE),  # a note without locators
        lambda: change(details=HOSTILE),  # no note: the details
        lambda: change(title=HOSTILE, note="Page 3: amended"),  # the title in the summary
    ],
)
def test_gov_uk_text_in_a_drafted_sheet_is_shown_as_typed(config, drafted):
    body = draft_from_change(config, drafted()).body
    html = markdown_to_html(body)
    for live in ("<img", "<strong", "<em", "<code", "<h1", "<b>", 'evil.example/phish"'):
        assert live not in html
    assert html.count("<a ") == 1  # the sheet's own link to the guidance
    import html as html_module

    assert "[the new form](https://evil.example/phish)" in html_module.unescape(html)
    assert "&amp;amp" in html  # the entity is text, not decoded


def test_lines_that_look_like_markdown_blocks_stay_text(config):
    details = "# Heading\n> quote\n- item\n1. first\n    code\n===\n| a | b |\n|---|---|\n~~~"
    body = draft_from_change(config, change(details=details)).body
    html = markdown_to_html(body)
    key_changes = html.split("Key changes</h2>")[1].split("<h2>Next steps")[0]
    for block in ("<h", "<blockquote", "<li>item", "<ol", "<pre", "<table"):
        assert block not in key_changes


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters="\ufffd"),
        min_size=1,
        max_size=60,
    ).filter(lambda text: text.strip())
)
def test_any_note_renders_as_the_same_text(config, note):
    import html as html_module

    body = draft_from_change(config, change(details=note)).body
    key_changes = body.split("## Key changes\n\n", 1)[1].split("\n\n## Next steps", 1)[0]
    html = markdown_to_html(key_changes)
    assert re.fullmatch(r"<p>[^<]*</p>\s*", html), html
    assert html_module.unescape(html[3:].rstrip()[:-4]).split() == note.split()


def test_a_long_gov_uk_title_still_makes_a_draft(config, mi):
    drafted = draft_from_change(config, change(title="Guidance " * 40))
    assert len(drafted.title) <= 200 and drafted.title.endswith(": updated guidance")


def test_deadline_helpers_name_the_day():
    from publisher.deadlines import closed_because, next_working_day

    assert closed_because(date(2024, 12, 25)) == "Wednesday, Christmas Day (a bank holiday)"
    assert closed_because(date(2024, 12, 28)) == "a Saturday"
    assert closed_because(date(2024, 12, 27)) is None
    assert next_working_day(date(2024, 12, 25)) == date(2024, 12, 27)


# Front matter values are the text typed, never YAML 1.1 types ------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "12:30",
        "no",
        "No",
        "off",
        "yes",
        ".nan",
        ".inf",
        "2024-02-30",
        "2024-02-29",
        "2024-02-29 10:00:00",
        "0x1F",
        "0o17",
        "017",
        "1e3",
        "1_000",
        "+12",
        "1:02:03",
    ],
)
def test_front_matter_text_is_kept_as_typed(typed):
    front = f"title: {typed}\ntype: {typed}\ncontact: {typed}\nreplaces: {typed}\n"
    edited = from_markdown(sheet(front + f"audiences: [{typed}, dsls]\n"), SHEET)
    assert (edited.title, edited.type, edited.contact, edited.replaces) == (typed,) * 4
    assert edited.audiences == (typed, "dsls")


@pytest.mark.parametrize("typed", ["12:30", "no", "2024-02-30", ".nan"])
def test_the_cli_editor_saves_the_title_typed(mi, tmp_path, typed):
    mi("new", "--title", "Before", "--audience", "dsls")
    saved = edit(mi, tmp_path, sheet(f"title: {typed}\ntype: Action\naudiences: [dsls]\n"))
    assert saved.output.startswith(f"Saved draft #1: {typed}\n")
    assert show(mi)["title"] == typed
    assert f"title: '{typed}'" in mi("show", "1", "--format", "markdown").output


# Plain YAML scalars that are not null and do not start a YAML construct.
PLAIN = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.:_+/-]{0,30}", fullmatch=True).filter(
    lambda text: text not in ("null", "Null", "NULL") and not text.endswith(":")
)


@settings(max_examples=200, deadline=None)
@given(typed=PLAIN, quote=st.sampled_from(["", "'", '"']))
def test_any_plain_or_quoted_title_is_kept_as_typed(typed, quote):
    edited = from_markdown(sheet(f"title: {quote}{typed}{quote}\ntype: Action\n"), SHEET)
    assert edited.title == typed


@pytest.mark.parametrize("empty", ["", "~", "null", "Null"])
def test_an_empty_or_null_value_is_still_an_empty_field(empty):
    edited = from_markdown(sheet(f"title: Hi\ntype: Action\nreplaces: {empty}\n"), SHEET)
    assert edited.replaces is None
    with pytest.raises(NoticeError, match="the title is empty"):
        from_markdown(sheet(f"title: {empty}\ntype: Action\n"), SHEET)


def test_the_sheet_as_shown_is_read_back_unchanged():
    original = replace(SHEET, title="12:30", contact="no", due="2024-12-27", replaces=None)
    assert from_markdown(to_markdown(original), original) == original


@pytest.mark.parametrize(
    ("front", "said"),
    [
        (
            "title: T\ntype: Action\ntitle: Dup\n",
            "line 4: the front matter is not valid YAML: duplicate key 'title' (first on line 2)",
        ),
        ("title: T\ntype: Action\n'title': Dup\n", "duplicate key 'title' (first on line 2)"),
        (
            "type: Action\ntitle: T\ndue: 7\ndue: 8\n",
            "line 5: the front matter is not valid YAML: duplicate key 'due' (first on line 4)",
        ),
        (
            "title: T\ntype: Action\naudiences: {a: 1, a: 2}\n",
            "duplicate key 'a' (first on line 4)",
        ),
        ("{title: T, type: Action, title: U}\n", "duplicate key 'title' (first on line 2)"),
    ],
)
def test_a_key_given_twice_is_refused_with_both_lines(mi, tmp_path, front, said):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(front), SHEET)
    assert said in str(refused.value)
    mi("new", "--title", "Kept", "--audience", "dsls")
    assert said in edit(mi, tmp_path, sheet(front), 2).output
    assert show(mi)["title"] == "Kept"


@pytest.mark.parametrize(
    ("due", "said"),
    [
        ("9999-12-31", "line 4: due 31/12/9999 is too far ahead"),
        ("'31/12/9999'", "line 4: due 31/12/9999 is too far ahead"),
        ("0001-01-01", "line 4: due 01/01/0001 is before 2000"),
    ],
)
def test_a_deadline_no_sheet_could_have_is_refused_in_the_editor(due, said):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"title: Hi\ntype: Action\ndue: {due}\n"), SHEET)
    assert said in str(refused.value)
    assert "a deadline must fall within two years of publication" in str(refused.value)


# What YAML would cut from a value is refused, never dropped ---------------------------------


@pytest.mark.parametrize(
    ("front", "line", "cut"),
    [
        ("title: Filtering and monitoring update #2\ntype: Action\n", 2, "#2"),
        ("title: Hi\ntype: Action\ncontact: Jo Bloggs #DSL lead\n", 4, "#DSL lead"),
        ("title: Update   #2  \ntype: Action\n", 2, "#2"),
        ("title: Filtering and\n  monitoring update #2\ntype: Action\n", 3, "#2"),
        ("title: Hi\ntype: Action\naudiences: [dsls #lead\n  ]\n", 4, "#lead"),
        ("title: Hi\ntype: Action\naudiences:\n  - dsls  # the leads\n", 5, "# the leads"),
        ("title: Hi\ntype #kind: Action\n", 3, "#kind: Action"),
    ],
)
def test_a_value_going_on_with_a_comment_is_refused_not_cut(front, line, cut):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(front), SHEET)
    message = str(refused.value)
    assert message.startswith(f"line {line}: ")
    assert f"'{cut}' would be dropped as a YAML comment: put the value in quotes" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("front", "kept"),
    [
        ("# A note of my own\ntitle: Update #2 reviewed\n", None),  # refused: see below
        ("# A note of my own\ntitle: 'Update #2'\n", "Update #2"),
        ('title: "Update #2"  # a comment after quotes cuts nothing\n', "Update #2"),
        ("title: Update#2\n", "Update#2"),
        ("title: C# and F# for schools\n", "C# and F# for schools"),
        ("title: |\n  Update #2\n", "Update #2"),
        ("title: <<\n", "<<"),
        ("title: Hi\n# a note at the key's own indentation\n", "Hi"),
    ],
)
def test_comments_on_lines_of_their_own_and_quoted_hashes_are_fine(front, kept):
    text = sheet(front + "type: Action\n")
    if kept is None:
        with pytest.raises(NoticeError, match="'#2 reviewed' would be dropped"):
            from_markdown(text, SHEET)
    else:
        assert from_markdown(text, SHEET).title == kept


def test_the_cli_editor_refuses_a_comment_in_a_title_and_keeps_the_sheet(mi, tmp_path):
    mi("new", "--title", "Kept", "--audience", "dsls")
    front = "title: Filtering and monitoring update #2\ntype: Action\naudiences: [dsls]\n"
    refused = edit(mi, tmp_path, sheet(front), 2)
    assert "line 2: the front matter is not valid YAML: '#2' would be dropped" in refused.output
    assert "put the value in quotes" in refused.output and "Traceback" not in refused.output
    assert show(mi)["title"] == "Kept"
    edit(mi, tmp_path, sheet(front.replace("update #2", "update #2'").replace(": F", ": 'F")))
    assert show(mi)["title"] == "Filtering and monitoring update #2"


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!Urgent filtering review", "!Urgent"),
        ("!urgent: read this", "!urgent:"),
        ("!!str 12:30", "!!str"),
        ("!!timestamp soon", "!!timestamp"),
        ("!!null", "!!null"),
        ("! Important", "!"),
        ("!<tag:example.org,2024:x> x", "!<tag:example.org,2024:x>"),
        ("&first !Urgent review", "!Urgent"),
        ("!!Important!! read now", "!!Important!!"),
    ],
)
def test_a_value_carrying_a_tag_is_refused_not_cut(value, tag):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"type: Action\ntitle: {value}\n"), SHEET)
    message = str(refused.value)
    assert message.startswith("line 3: ")
    assert f"'{tag}' would be dropped as a YAML tag: put the value in quotes" in message
    quoted = value.replace("'", "''")
    assert from_markdown(sheet(f"type: Action\ntitle: '{quoted}'\n"), SHEET).title == value


@pytest.mark.parametrize(
    "value", ["&Co review", "&Co. Ltd: terms", "&x", "&&A policy", "&first: read this"]
)
def test_a_value_starting_with_an_ampersand_is_refused_not_cut(value):
    """'title: &Co review' would be saved as 'review': YAML takes '&Co' for an anchor."""
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"type: Action\ntitle: {value}\n"), SHEET)
    message = str(refused.value)
    assert message.startswith("line 3: ") and "put the value in quotes" in message
    assert from_markdown(sheet(f"type: Action\ntitle: '{value}'\n"), SHEET).title == value


@pytest.mark.parametrize(
    "front",
    [
        "title: Hi\ntype: Action\naudiences: [!x dsls]\n",
        "title: Hi\ntype: Action\naudiences:\n  - !x dsls\n",
        "title: Hi\n!x type: Action\n",
        "title: Hi\ntype: Action\ncontact: {name: !x Jo}\n",
    ],
)
def test_a_tag_anywhere_on_a_value_or_key_is_refused(front):
    with pytest.raises(NoticeError, match="'!x' would be dropped as a YAML tag"):
        from_markdown(sheet(front), SHEET)


# Words with YAML's signs among them (the first a letter: a title, not a list or a quote)
TYPED = st.text(alphabet="ab #!:&*'\"%@-[]{},|>?~\t", max_size=30).map(lambda text: "T" + text)


@settings(max_examples=300, deadline=None)
@given(typed=TYPED, field=st.sampled_from(["title", "contact"]))
def test_a_typed_value_is_kept_or_refused_by_line_never_cut(typed, field):
    """Whatever is typed after 'title: ' or 'contact: ' is kept (as clean_text leaves it) or refused
    with its line: never a shortened value saved in silence."""
    other = "contact" if field == "title" else "title"
    front = f"type: Action\n{other}: Hi\n{field}: {typed}\n"
    try:
        edited = from_markdown(sheet(front), SHEET)
    except NoticeError as refused:
        assert str(refused).startswith("line 4: ")
        return
    assert getattr(edited, field) == " ".join(typed.split())


@pytest.mark.parametrize(
    ("title", "line"),
    [
        ("KCSIE 2025: what changes", 2),
        ("Q&A: filtering", 2),
        ("[Draft] filtering", 2),
        ('"Quoted" start', 2),
        ("@home learning", 2),
        ("% of schools", 2),
        ("`code` club", 2),
        ("*bold* move", 2),
    ],
)
def test_a_yaml_syntax_error_says_to_quote_the_value(title, line):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"title: {title}\ntype: Action\n"), SHEET)
    message = str(refused.value)
    assert message.startswith(f"line {line}: the front matter is not valid YAML: ")
    assert message.endswith("(put the value in quotes if it is text)")
    escaped = title.replace("'", "''")
    assert from_markdown(sheet(f"title: '{escaped}'\ntype: Action\n"), SHEET).title == title


# Tagged mappings are checked as any other -------------------------------------------------


@pytest.mark.parametrize("tag", ["!!omap", "!foo", "!!set", "!!pairs", "!"])
def test_a_tagged_front_matter_is_checked_for_keys_given_twice(tag):
    with pytest.raises(NoticeError, match=r"line 4: .*duplicate key 'title' \(first on line 3\)"):
        from_markdown(sheet(f"{tag}\ntitle: A\ntitle: B\ntype: Action\n"), SHEET)
    with pytest.raises(NoticeError, match=r"line 4: unknown key 'typ' \(did you mean 'type'"):
        from_markdown(sheet(f"{tag}\ntitle: A\ntyp: Action\n"), SHEET)


@pytest.mark.parametrize(
    "front",
    [
        "!!str\ntitle: A\ntype: Action\n",
        "!!map [a, b]\n",
        "title: A\ntype: Action\ncontact: !!null {a: 1}\n",
        "title: A\ntype: Action\naudiences: !!str [dsls]\n",
    ],
)
def test_a_standard_tag_on_the_wrong_kind_of_value_is_refused(front):
    with pytest.raises(NoticeError, match=r"line \d+: the front matter is not valid YAML"):
        from_markdown(sheet(front), SHEET)


def test_a_tagged_mapping_inside_the_front_matter_is_checked_too():
    with pytest.raises(NoticeError, match=r"line 4: .*duplicate key 'a' \(first on line 4\)"):
        from_markdown(sheet("title: T\ntype: Action\ncontact: !x {a: 1, a: 2}\n"), SHEET)


# Null keys and empty audiences are named by line -----------------------------------------


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("~: x", "line 3: the front matter is not valid YAML: key '~' is null: write a name"),
        ("null: x", "line 3: the front matter is not valid YAML: key 'null' is null"),
        ("NULL: x", "line 3: the front matter is not valid YAML: key 'NULL' is null"),
        ("? \n: x", "line 3: the front matter is not valid YAML: a key is empty: write a name"),
        ("contact: {~: x}", "line 3: the front matter is not valid YAML: key '~' is null"),
        ("'~': x", "line 3: unknown key '~' (known: audiences"),
    ],
)
def test_a_null_key_is_named_by_line(line, said):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"title: Hi\n{line}\ntype: Action\n"), SHEET)
    assert str(refused.value).startswith(said)


@pytest.mark.parametrize(
    "audiences",
    [
        "[dsls, ~]",
        "[~]",
        "[dsls, null]",
        "[dsls, '']",
        "[dsls, '   ']",
        "\n  - dsls\n  -\n",
        "\n  - dsls\n  - ''\n",
    ],
)
def test_an_empty_audience_is_named_by_line(audiences):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet(f"title: Hi\ntype: Action\naudiences: {audiences}\n"), SHEET)
    assert str(refused.value) == (
        "line 4: an entry of 'audiences' is empty: write an audience id or delete the entry"
    )


def test_an_empty_audience_in_the_cli_editor_changes_nothing(mi, tmp_path):
    mi("new", "--title", "Hi", "--audience", "dsls")
    refused = edit(mi, tmp_path, sheet("title: Hi\ntype: Action\naudiences: [dsls, ~]\n"), 2)
    assert "line 4: an entry of 'audiences' is empty" in refused.output
    assert show(mi)["audiences"] == ["DSLs"]


# A comment line where a value would go on is refused, never cut ----------------------------


@pytest.mark.parametrize(
    ("front", "line", "cut"),
    [
        (
            "title: Welcome to the bulletin, the\n  #2 issue in our series\n",
            4,
            "#2 issue in our series",
        ),
        ("title:\n  Welcome\n  #2\n", 5, "#2"),
        ("title: Welcome\n\n  #2 issue\n", 5, "#2 issue"),
        ("title: Welcome\n        # an indented note\n", 4, "# an indented note"),
        ("title: Welcome\r\n  #2 issue\r\n", 4, "#2 issue"),
        ("title: Hi\naudiences: [dsls\n  #leads\n  ]\n", 5, "#leads"),
        ("title: Hi\naudiences:\n  - dsls and\n    #leads\n", 6, "#leads"),
    ],
    ids=["continued", "value below key", "after a blank line", "deeper", "CRLF", "flow", "list"],
)
def test_a_continuation_line_starting_with_a_hash_is_refused_by_line(front, line, cut):
    with pytest.raises(NoticeError) as refused:
        from_markdown(sheet("type: Action\n" + front), SHEET)
    message = str(refused.value)
    assert message.startswith(f"line {line}: "), message
    assert f"'{cut}' would be dropped as a YAML comment: put the value in quotes" in message
    assert "\n" not in message


@settings(max_examples=60, deadline=None)
@given(
    indent=st.integers(min_value=0, max_value=6),
    words=st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=12),
)
def test_a_hash_line_is_a_comment_at_the_key_s_indentation_and_refused_deeper(indent, words):
    front = f"title: Welcome to the\n{' ' * indent}#{words}\ntype: Action\n"
    if indent == 0:
        assert from_markdown(sheet(front), SHEET).title == "Welcome to the"
    else:
        with pytest.raises(NoticeError, match="^line 3: .*put the value in quotes"):
            from_markdown(sheet(front), SHEET)


def test_the_cli_editor_refuses_a_cut_continuation_line_and_keeps_the_sheet(mi, tmp_path):
    mi("new", "--title", "Kept", "--audience", "dsls")
    front = "title: Filtering and monitoring,\n  #2 in the series\ntype: Action\n"
    refused = edit(mi, tmp_path, sheet(front), 2)
    assert "line 3: the front matter is not valid YAML: '#2 in the series' would be" in (
        refused.output
    )
    assert "put the value in quotes" in refused.output and "Traceback" not in refused.output
    assert show(mi)["title"] == "Kept"
