"""Monthly bulletins built through the CLI from fetched items, changes and MI sheets."""

import email
import email.policy
import json

import pytest
from test_config import merges_of_merges
from werkzeug import Response

from conftest import fixture_bytes
from publisher.bulletins import EDITORIAL_TEMPLATE, BulletinError, canonical_url, parse_editorial
from publisher.sanitise import strip_boilerplate
from publisher.yaml_files import line_of, load_yaml

WTTSC = "/government/publications/working-together-to-safeguard-children--2"


@pytest.fixture
def february(server, project):
    """A project with February 2024's items, the WTTSC change and MI 1/24 stored."""
    content = {"body": fixture_bytes("govuk/wttsc-v1.json")}
    server.expect_request(f"/api/content{WTTSC}").respond_with_handler(
        lambda request: Response(content["body"], content_type="application/json")
    )
    for name in ("regulator", "charity"):
        server.expect_request(f"/{name}.rss").respond_with_data(
            fixture_bytes(f"feeds/{name}.rss"), content_type="application/rss+xml"
        )
    project.configure(
        [
            {"id": "wttsc", "kind": "govuk", "url": WTTSC, "audiences": ["headteachers", "dsls"]},
            {"id": "regulator", "kind": "feed", "url": server.url_for("/regulator.rss")},
            {"id": "charity", "kind": "feed", "url": server.url_for("/charity.rss")},
        ],
        settings={"govuk_base_url": server.url_for("").rstrip("/")},
        audiences={
            "headteachers": "Headteachers",
            "dsls": "DSLs",
            "early-years": "Early years providers",
        },
        bulletin={
            "sections": [
                {
                    "title": "Online safety",
                    "sources": ["regulator", "charity"],
                    "audiences": ["headteachers", "dsls"],
                },
                {"title": "Early years", "tags": ["Early years"], "audiences": ["early-years"]},
            ]
        },
    )
    project.run("fetch")
    content["body"] = fixture_bytes("govuk/wttsc-v2.json")
    project.run("fetch")
    project.run(
        "mi", "new", "--title", "Online safety codes", "--audience", "dsls", "--type", "Information"
    )
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-02-12 10:00")
    return project


def stored_bulletin(project):
    [bulletin] = json.loads(project.run("bulletin", "list", "--format", "json").output)
    return bulletin


def test_sections_statutory_first_then_mi_then_configured(february):
    output = february.run("bulletin", "build", "--month", "2024-02").output
    assert output.splitlines()[:5] == [
        "Testshire Council Education Safeguarding: safeguarding bulletin, February 2024: 5 entries",
        "  Statutory updates: 1",
        "  MI sheets: 1",
        "  Online safety: 2",
        "  Early years: 1",
    ]
    bulletin = stored_bulletin(february)
    statutory = bulletin["sections"][0]["entries"][0]
    assert statutory["label"] == "Updated"
    assert statutory["quotes"][0] == (
        "Page 26, paragraph 48: amended the wording used to describe lead safeguarding partners"
    )
    assert len(statutory["quotes"]) == 4
    assert bulletin["sections"][1]["entries"][0]["label"] == "MI 1/24 INFORMATION"


def test_the_same_story_appears_once_and_boilerplate_is_stripped(february):
    february.run("bulletin", "build", "--month", "2024-02")
    online = stored_bulletin(february)["sections"][2]["entries"]
    assert [entry["title"] for entry in online] == [
        "New codes of practice to protect children online",
        "Consultation on age assurance",
    ]
    assert online[0]["source"] == "regulator"
    assert online[0]["summary"] == "<p>More than 40 measures for tech firms.</p>"
    assert online[1]["summary"] == "<p>Have your say by 30 April.</p>"


def test_each_audience_sees_only_its_sections(february):
    output = february.run("bulletin", "build", "--month", "2024-02").output
    assert "  for Headteachers: 3 entries" in output  # statutory + online safety (2)
    assert "  for DSLs: 4 entries" in output  # + the MI sheet for DSLs
    assert "  for Early years providers: 1 entry," in output
    eml = february.data_dir / "bulletins" / "2024-02" / "early-years.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "EARLY YEARS" in text and "Early years: safer sleep briefing" in text
    assert "STATUTORY UPDATES" not in text and "ONLINE SAFETY" not in text
    html = message.get_body(("html",)).get_content()
    assert "<script" not in html and "alert(" not in html


def test_editorial_file_adds_drops_and_orders(february, tmp_path):
    editorial = tmp_path / "editorial.yaml"
    editorial.write_text(
        "intro: Welcome to the **February** bulletin.\n"
        "order: [Online safety, Statutory updates]\n"
        "drop: [https://regulator.example/news/age-assurance]\n"
        "add:\n"
        "  - section: Training\n"
        "    title: DSL refresher training, 14 March\n"
        "    url: https://www.testshire.example/training/dsl\n"
        "    summary: Book through the <b>training portal</b>.\n"
    )
    february.run("bulletin", "build", "--month", "2024-02", "--editorial", str(editorial))
    bulletin = stored_bulletin(february)
    assert bulletin["intro"] == "Welcome to the **February** bulletin."
    titles = [section["title"] for section in bulletin["sections"]]
    assert titles == ["Online safety", "Statutory updates", "MI sheets", "Early years", "Training"]
    assert [e["title"] for e in bulletin["sections"][0]["entries"]] == [
        "New codes of practice to protect children online"
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("order: [Gossip]\n")
    result = february.run(
        "bulletin", "build", "--month", "2024-02", "--editorial", str(bad), expect=2
    )
    assert "the editorial order names unknown sections: Gossip" in result.output


def test_a_bad_month_is_refused(february):
    assert (
        "'Feb' is not a month like 2024-02"
        in february.run("bulletin", "build", "--month", "Feb", expect=2).output
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<p>News.</p><div class="sociable"><span>Share and Enjoy:</span><ul><li>'
            '<a href="x">Facebook</a></li></ul></div>',
            "<p>News.</p>",
        ),
        ("<p>Share and Enjoy:</p> <ul><li>Twitter</li></ul><p>Body</p>", " <p>Body</p>"),
        (
            '<p>Body</p><p>The post <a href="x">Title</a> appeared first on <a>Blog</a>.</p>',
            "<p>Body</p>",
        ),
        ('<p>Body</p><div class="sharedaddy"><a>Share this:</a></div>', "<p>Body</p>"),
        ("<p>Nothing to strip.</p>", "<p>Nothing to strip.</p>"),
    ],
)
def test_feed_boilerplate_is_stripped(html, expected):
    assert strip_boilerplate(html) == expected


def test_canonical_urls_ignore_tracking_and_trailing_slashes():
    assert canonical_url("https://www.Regulator.example/news/a/?utm_source=rss&id=3") == (
        canonical_url("http://regulator.example/news/a?id=3")
    )


def test_show_prints_an_audience_edition(february):
    february.run("bulletin", "build", "--month", "2024-02")
    text = february.run(
        "bulletin", "show", "--month", "2024-02", "--audience", "early-years"
    ).output
    assert text.startswith(
        "Testshire Council Education Safeguarding: safeguarding bulletin, "
        "February 2024\nFor Early years providers\n"
    )
    assert "EARLY YEARS" in text and "ONLINE SAFETY" not in text
    everything = json.loads(
        february.run("bulletin", "show", "--month", "2024-02", "--format", "json").output
    )
    assert [section["title"] for section in everything["sections"]] == [
        "Statutory updates",
        "MI sheets",
        "Online safety",
        "Early years",
    ]
    assert (
        "no bulletin for 2023-01"
        in february.run("bulletin", "show", "--month", "2023-01", expect=2).output
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intro: [unclosed\n", "line 2: not valid YAML"),
        ("- just\n- a list\n", "line 1: the file: input should be a valid dictionary"),
        (
            "intro: Hello\norderr: [Online safety]\n",
            "line 2: unknown key 'orderr' (did you mean 'order'?)",
        ),
        ("add:\n  - url: https://x.example/\n", "line 2: add has no title"),
        (
            "add:\n  - title: Training\n    section: [a, b]\n",
            "line 3: add.section: input should be a valid string",
        ),
        ("add: Training dates\n", "line 1: add: input should be a valid list"),
        (
            "add:\n  - title: Bad link\n    url: javascript:alert(1)\n",
            "line 3: url 'javascript:alert(1)' is not a web address",
        ),
        ("drop: {a: 1}\n", "line 1: drop: input should be a valid list"),
    ],
)
def test_a_malformed_editorial_file_is_named_by_line(february, tmp_path, text, message):
    editorial = tmp_path / "editorial.yaml"
    editorial.write_text(text)
    result = february.run(
        "bulletin", "build", "--month", "2024-02", "--editorial", str(editorial), expect=2
    )
    assert f"{editorial} {message}" in result.output
    assert "Traceback" not in result.output


def test_a_huge_month_is_capped_with_a_link_to_the_rest(february, tmp_path):
    editorial = tmp_path / "editorial.yaml"
    added = "".join(
        f"  - title: Story {n}\n    url: https://x.example/{n}\n    section: Extra\n"
        for n in range(60)
    )
    editorial.write_text("add:\n" + added)
    february.run("bulletin", "build", "--month", "2024-02", "--editorial", str(editorial))
    bulletin = stored_bulletin(february)
    [extra] = [section for section in bulletin["sections"] if section["title"] == "Extra"]
    assert len(extra["entries"]) == 41
    assert extra["entries"][-1]["title"] == "and 20 more in Extra on the web page"
    assert extra["entries"][-1]["url"] == "bulletins/2024-02/index.html"


def test_a_future_month_is_refused_and_an_empty_one_says_so(february):
    future = february.run("bulletin", "build", "--month", "2099-01", expect=2)
    assert "2099-01 has not begun" in future.output
    empty = february.run("bulletin", "build", "--month", "2019-06", expect=1)
    assert "nothing stored for 2019-06: no bulletin built" in empty.output
    assert "2019-06" not in february.run("bulletin", "list").output


def test_send_bulletin_gives_each_reader_their_audiences_edition_once(february):
    february.import_subscribers(
        "head@oak.example,Ann Head,Oak Primary,headteachers",
        "dsl@oak.example,Dev Lead,Oak Primary,dsls",
        "ey@nursery.example,Eve Years,Acorn Nursery,early-years",
        "gone@oak.example,Gone,Oak Primary,dsls",
    )
    february.run("subscribers", "unsubscribe", "gone@oak.example")
    february.run("bulletin", "build", "--month", "2024-02")

    result = february.run("send", "--bulletin", "2024-02", "--audience", "early-years")
    assert result.output.startswith("Sent 1, failed 0")
    result = february.run("send", "--bulletin", "2024-02")
    assert result.output.startswith("Sent 2, failed 0, already sent 1,")

    letters = {}
    for path in (february.data_dir / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        letters[message["To"].addresses[0].addr_spec] = message
    assert sorted(letters) == ["dsl@oak.example", "ey@nursery.example", "head@oak.example"]
    early_years = letters["ey@nursery.example"].get_body(("plain",)).get_content()
    online = letters["dsl@oak.example"].get_body(("plain",)).get_content()
    assert "EARLY YEARS" in early_years and "ONLINE SAFETY" not in early_years
    assert "ONLINE SAFETY" in online and "EARLY YEARS" not in online
    assert "February 2024" in letters["head@oak.example"]["Subject"]

    unknown = february.run("send", "--bulletin", "2024-02", "--audience", "nobody", expect=2)
    assert "unknown audience nobody" in unknown.output


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("2024-02-29", "2024-02-29"), ("12:30", "12:30"), ("no", "no"), ("'007'", "007")],
)
def test_editorial_text_is_kept_as_typed(february, tmp_path, typed, kept):
    editorial = tmp_path / "editorial.yaml"
    editorial.write_text(
        f"intro: {typed}\nadd:\n  - title: {typed}\n    summary: {typed}\n    section: Extra\n"
    )
    february.run("bulletin", "build", "--month", "2024-02", "--editorial", str(editorial))
    bulletin = stored_bulletin(february)
    [extra] = [section for section in bulletin["sections"] if section["title"] == "Extra"]
    assert bulletin["intro"] == kept
    assert extra["entries"][0]["title"] == kept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intro: A\nintro: B\n", "line 2: not valid YAML: duplicate key 'intro' (first on line 1)"),
        (
            "add:\n  - title: A\n    url: https://a.example/\n    title: B\n",
            "line 4: not valid YAML: duplicate key 'title' (first on line 2)",
        ),
        ("add:\n  - {title: A, title: B}\n", "line 2: not valid YAML: duplicate key 'title'"),
    ],
)
def test_a_key_given_twice_in_the_editorial_is_refused(february, tmp_path, text, message):
    editorial = tmp_path / "editorial.yaml"
    editorial.write_text(text)
    result = february.run(
        "bulletin", "build", "--month", "2024-02", "--editorial", str(editorial), expect=2
    )
    assert f"{editorial} {message}" in result.output


# Merge keys, comments, tags and null keys in the editorial ----------------------------------

TRAINING = (
    "add:\n"
    "  - &training\n"
    "    section: From the team\n"
    "    title: Training dates for DSLs\n"
    "    url: https://www.example.gov.uk/training\n"
)


def test_merge_keys_in_the_editorial_add_entries_with_their_own_overrides(february, tmp_path):
    editorial = tmp_path / "editorial.yaml"
    editorial.write_text(
        TRAINING
        + "  - <<: *training\n    title: Training for governors\n"
        + "    url: https://www.example.gov.uk/governors\n"
    )
    february.run("bulletin", "build", "--month", "2024-02", "--editorial", str(editorial))
    [team] = [s for s in stored_bulletin(february)["sections"] if s["title"] == "From the team"]
    assert [entry["title"] for entry in team["entries"]] == [
        "Training dates for DSLs",
        "Training for governors",
    ]
    assert team["entries"][1]["url"] == "https://www.example.gov.uk/governors"


@pytest.mark.parametrize(
    ("merged", "title", "section"),
    [
        ("  - <<: *training\n", "Training dates for DSLs", "From the team"),
        ("  - {<<: *training, title: Other}\n", "Other", "From the team"),
        ("  - title: Other\n    <<: *training\n", "Other", "From the team"),
        ("  - <<: [*training, {section: Extra}]\n", "Training dates for DSLs", "From the team"),
        ("  - <<: [{section: Extra}, *training]\n", "Training dates for DSLs", "Extra"),
        ("  - <<: *training\n    <<: {section: Extra}\n", "Training dates for DSLs", "Extra"),
        (
            "  - <<: {section: Extra}\n    <<: *training\n",
            "Training dates for DSLs",
            "From the team",
        ),
        ("  - <<: {<<: *training, section: Extra}\n", "Training dates for DSLs", "Extra"),
    ],
)
def test_merge_keys_work_in_the_editorial_as_in_feeds_yaml(merged, title, section):
    added = parse_editorial(TRAINING + merged)["add"]
    assert (added[1]["title"], added[1]["section"]) == (title, section)
    assert added == load_yaml(TRAINING + merged, "feeds.yaml")["add"]
    assert added[1]["url"] == "https://www.example.gov.uk/training"


def test_a_merged_key_is_named_by_the_line_it_was_typed_on():
    data = parse_editorial(TRAINING + "  - <<: *training\n    title: Other\n")
    assert line_of(data, ("add", 1, "url")) == 5
    assert line_of(data, ("add", 1, "title")) == 7


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            TRAINING + "  - <<: *training\n    title: A\n    title: B\n",
            "line 8: not valid YAML: duplicate key 'title' (first on line 7)",
        ),
        (
            TRAINING + "  - <<: {title: A, title: B}\n",
            "line 6: not valid YAML: duplicate key 'title' (first on line 6)",
        ),
        (
            TRAINING + "  - <<: Training\n",
            "line 6: not valid YAML: '<<' merges a mapping or a list of mappings",
        ),
        (
            TRAINING + "  - <<: [*training, Training]\n",
            "line 6: not valid YAML: '<<' merges a mapping or a list of mappings",
        ),
        ("add:\n  - &a {title: A, <<: *a}\n", "line 2: not valid YAML: an alias (*name) is used"),
    ],
)
def test_what_a_merge_cannot_do_in_the_editorial_is_refused_by_line(text, said):
    with pytest.raises(BulletinError) as refused:
        parse_editorial(text, "editorial.yaml")
    assert str(refused.value).startswith(f"editorial.yaml {said}")


def test_merges_of_merges_are_refused_before_they_use_up_memory():
    with pytest.raises(BulletinError) as refused:
        parse_editorial(merges_of_merges(), "editorial.yaml")
    assert str(refused.value).startswith("editorial.yaml line 6: not valid YAML: ")
    assert "merges more than 1,000,000 keys" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("intro: Welcome to issue #3 of the bulletin\n", "line 1: not valid YAML: '#3 of the"),
        ("add:\n  - title: Update #2\n    url: https://x.example/\n", "line 2: not valid"),
        ("add:\n  - title: A\n    summary: Read it #today\n", "line 3: not valid YAML"),
        ("intro: !Urgent read this\n", "line 1: not valid YAML: '!Urgent' would be dropped"),
        ("add:\n  - {title: !x A}\n", "line 2: not valid YAML: '!x' would be dropped"),
        ("intro: KCSIE 2025: what changes\n", "line 1: not valid YAML: YAML syntax error"),
        ("add:\n  - !x {title: A, title: B}\n", "line 2: not valid YAML: duplicate key 'title'"),
        ("add:\n  - !!omap\n    title: A\n    title: B\n", "line 4: not valid YAML: dup"),
        ("~: x\n", "line 1: not valid YAML: key '~' is null"),
        ("add:\n  - {title: A, ~: x}\n", "line 2: not valid YAML: key '~' is null"),
    ],
)
def test_what_yaml_would_cut_or_hide_in_the_editorial_is_refused_by_line(text, said):
    with pytest.raises(BulletinError) as refused:
        parse_editorial(text, "editorial.yaml")
    message = str(refused.value)
    assert message.startswith(f"editorial.yaml {said}")
    assert "quotes" in message or "duplicate" in message or "null" in message


def test_comments_of_their_own_and_quoted_hashes_stay_in_the_editorial():
    assert parse_editorial(EDITORIAL_TEMPLATE) == {"intro": "", "order": [], "drop": [], "add": []}
    text = "# the intro\nintro: 'Welcome to issue #3'  # quoted\n  # nothing added yet\n"
    assert parse_editorial(text)["intro"] == "Welcome to issue #3"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("intro: Welcome to the February bulletin, the\n  #2 issue in our series.\n", "line 2"),
        ("intro:\n  Welcome\n  #2\n", "line 3"),
        ("add:\n  - title: Training\n    summary: Dates for\n      #autumn term\n", "line 4"),
        ("add:\n  - title: Training\n    summary: Dates for\n\n      #autumn term\n", "line 5"),
        ("drop: [Old news\n  #2]\n", "line 2"),
    ],
)
def test_a_continuation_line_starting_with_a_hash_is_refused_not_cut(text, said):
    with pytest.raises(BulletinError) as refused:
        parse_editorial(text, "editorial.yaml")
    message = str(refused.value)
    assert message.startswith(f"editorial.yaml {said}: not valid YAML: '#"), message
    assert "would be dropped as a YAML comment: put the value in quotes" in message


def test_comment_lines_at_a_mapping_s_own_indentation_stay_comments():
    text = (
        "intro: Welcome\n# about the entries\nadd:\n  - title: Training\n"
        "    # the dates are in the summary\n    summary: Dates for\n  # another entry\n"
        "  - title: Term dates\n"
    )
    data = parse_editorial(text)
    assert data["intro"] == "Welcome"
    assert [(entry["title"], entry.get("summary")) for entry in data["add"]] == [
        ("Training", "Dates for"),
        ("Term dates", None),
    ]


def test_bulletin_build_refuses_an_editorial_that_would_cut_a_line(february, tmp_path):
    editorial = tmp_path / "ed2.yaml"
    editorial.write_text("intro: Welcome to the February bulletin, the\n  #2 issue.\n")
    result = february.run(
        "bulletin", "build", "--month", "2024-02", "--editorial", str(editorial), expect=2
    )
    assert f"{editorial} line 2: not valid YAML: '#2 issue.' would be dropped" in result.output
    assert "put the value in quotes" in result.output and "Traceback" not in result.output


def test_the_text_part_keeps_a_summary_s_blocks_apart_and_gives_its_links(february, tmp_path):
    editorial = tmp_path / "editorial.yaml"
    summary = (
        '<p>Book on the <a href="https://example.gov.uk/book">booking page</a>. '
        '<a href="https://example.gov.uk/x"><img alt="Poster for the course"></a></p>'
        "<h1>Venue</h1><ul><li>One</li><li>Two</li></ul>"
    )
    editorial.write_text(
        "add:\n  - title: Training\n    section: Extra\n    summary: " + json.dumps(summary) + "\n"
    )
    february.run("bulletin", "build", "--month", "2024-02", "--editorial", str(editorial))
    text = february.run("bulletin", "show", "--month", "2024-02").output
    training = text.split("\nTraining\n", 1)[1]
    assert training.startswith(
        "Book on the booking page (https://example.gov.uk/book). Poster for the course "
        "(https://example.gov.uk/x)\n\nVenue\n-----\n\n- One\n- Two\n"
    )
    assert "courseVenue" not in text and "OneTwo" not in text
