from datetime import date
from pathlib import Path

import pytest

from publisher.cli.project import STARTER_CONFIG
from publisher.yaml_files import load_text_yaml, load_yaml

REPO_ROOT = Path(__file__).parent.parent

VALID = """\
organisation:
  name: Testshire Council
audiences:
  dsls: DSLs
sources:
  - id: news
    kind: feed
    url: https://news.example/feed.xml
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace("kind: feed", "kind: fed"),
            "feeds.yaml line 7: source 'news' has unknown kind 'fed' "
            "(known: feed, govuk, govuk-search, listing, page)",
        ),
        (
            VALID.replace("    url: https://news.example/feed.xml\n", ""),
            "feeds.yaml line 6: source 'news' has no url",
        ),
        (
            VALID + "  - id: news\n    kind: feed\n    url: https://other.example/\n",
            "feeds.yaml line 9: duplicate source id 'news' (first used on line 6)",
        ),
        (
            VALID + "    audiences: [dsls, parents]\n",
            "feeds.yaml line 9: source 'news' names unknown audience 'parents' (known: dsls)",
        ),
        (
            VALID.replace("  dsls: DSLs", "  dsls: [DSLs"),
            "feeds.yaml line 5: YAML syntax error: expected ',' or ']', but got ':'",
        ),
        (
            VALID.replace("  - id: news\n    kind: feed", "  - kind: feed"),
            "feeds.yaml line 6: source has no id",
        ),
        (
            "- just\n- a list\n",
            "feeds.yaml line 1: expected a mapping with 'organisation', 'audiences' and 'sources'",
        ),
    ],
    ids=[
        "unknown-kind",
        "missing-url",
        "duplicate-id",
        "unknown-audience",
        "yaml-syntax",
        "missing-id",
        "not-a-mapping",
    ],
)
def test_config_errors_name_file_and_line(project, monkeypatch, text, message):
    project.config_path.write_text(text)
    monkeypatch.chdir(project.path)
    result = project.run("--config", "feeds.yaml", "sources", expect=2)
    assert result.output == f"Error: {message}\n"
    assert "Traceback" not in result.output


def test_missing_config_says_how_to_start(project):
    result = project.run("sources", expect=2)
    assert "no such file (run 'publisher init' to write a starter config)" in result.output


def test_repo_feeds_yaml_is_valid(project):
    result = project.run("--config", str(REPO_ROOT / "feeds.yaml"), "sources", "--format", "json")
    assert '"id": "ofcom"' in result.output


def test_init_writes_the_example_config(project, tmp_path):
    target = tmp_path / "new"
    result = project.run("init", str(target))
    assert "Wrote" in result.output
    assert (target / "feeds.yaml").read_text() == (REPO_ROOT / "feeds.yaml").read_text()
    assert STARTER_CONFIG.read_text() == (REPO_ROOT / "feeds.yaml").read_text()
    again = project.run("init", str(target), expect=1)
    assert "already exists" in again.output
    project.run("--config", str(target / "feeds.yaml"), "sources")


def test_the_starters_commented_delivery_section_works_when_uncommented(project, tmp_path):
    lines = STARTER_CONFIG.read_text().splitlines()
    start = lines.index("# delivery:")
    end = next(n for n in range(start, len(lines)) if not lines[n].startswith("#"))
    lines[start:end] = [line[2:] for line in lines[start:end]]
    (tmp_path / "feeds.yaml").write_text("\n".join(lines))
    result = project.run("--config", str(tmp_path / "feeds.yaml"), "sources")
    assert "kcsie [govuk]" in result.output
    audiences = "\n    for: Headteachers, Designated Safeguarding Leads (DSLs), Governors\n"
    assert audiences in result.output


def test_config_and_data_dir_from_environment(project, monkeypatch, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    monkeypatch.setenv("PUBLISHER_CONFIG", str(project.config_path))
    monkeypatch.setenv("PUBLISHER_DATA_DIR", str(tmp_path / "elsewhere"))
    from click.testing import CliRunner

    from publisher.cli import cli

    result = CliRunner().invoke(cli, ["sources"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "publisher.db").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID + "setings:\n  workers: 2\n",
            "line 9: unknown key 'setings' (did you mean 'settings'?)",
        ),
        (
            VALID.replace("audiences:\n", "audience:\n"),
            "line 3: unknown key 'audience' (did you mean 'audiences'?)",
        ),
        (
            VALID + "    audience: dsls\n",
            "line 9: unknown key 'audience' (did you mean 'audiences'?)",
        ),
        (
            VALID + "    statutory: yes please\n",
            "line 9: statutory: input should be a valid boolean",
        ),
        (
            VALID + "settings:\n  workers: many\n",
            "line 10: settings.workers: input should be a valid integer",
        ),
        (
            VALID + "settings:\n  processes: 0\n",
            "line 10: settings.processes: input should be greater than or equal to 1",
        ),
        (
            VALID + "settings:\n  timeout: -3\n",
            "line 10: settings.timeout: input should be greater than 0",
        ),
        (
            VALID + "settings:\n  timeout: 20000\n",  # milliseconds, meant as seconds
            "line 10: settings.timeout: input should be less than or equal to 3600",
        ),
        (
            VALID + "settings:\n  templates: 2024-02-30\n",  # read by YAML as a date
            "line 10: templates '2024-02-30' is not a date (day is out of range for month)",
        ),
        (
            VALID + "settings:\n  retries: 1000000\n",  # each retry waits twice as long
            "line 10: settings.retries: input should be less than or equal to 10",
        ),
        (
            VALID + "delivery:\n  retries: 20\n",
            "line 10: delivery.retries: input should be less than or equal to 10",
        ),
        (
            VALID + "settings:\n  retry_backoff: 600\n",
            "line 10: settings.retry_backoff: input should be less than or equal to 60",
        ),
        (
            VALID.replace("sources:\n  - id: news\n    kind: feed\n", "").replace(
                "    url: https://news.example/feed.xml\n", ""
            ),
            "line 1: no 'sources' in the file",
        ),
        (
            VALID + "delivery:\n  smtp:\n    timeout: 3.1e9\n",
            "line 11: delivery.smtp.timeout: input should be less than or equal to 3600",
        ),
        (
            VALID + "settings:\n  alerts_via: smpt\n",
            "line 10: settings.alerts_via 'smpt' is no deliverer (did you mean 'smtp'?",
        ),
        (
            VALID + "delivery:\n  via: outbx\n",
            "line 10: delivery.via 'outbx' is no deliverer (did you mean 'outbox'?",
        ),
        (
            VALID + "delivery:\n  smtp:\n    hots: mail\n",
            "line 11: unknown key 'hots' (did you mean 'host'?)",
        ),
        (
            VALID + "    selectr: main\n",
            "line 9: unknown key 'selectr' (known: audiences, id, kind",
        ),
        (
            VALID.replace("kind: feed", "kind: listing") + "    pages: lots\n",
            "line 9: pages: input should be a valid integer",
        ),
        (
            VALID.replace("https://news.example/feed.xml", "www.ofcom.org.uk/news"),
            "line 8: url 'www.ofcom.org.uk/news' has no https://",
        ),
        (
            VALID.replace("https://news.example/feed.xml", "news.example/feed.xml"),
            "has no https://",
        ),
        (
            VALID.replace("  dsls: DSLs", "  ../../pwned: Pwned"),
            "line 4: audience id '../../pwned' may hold only",
        ),
        (
            VALID.replace("  dsls: DSLs", "  /etc/cron.d: Root"),
            "audience id '/etc/cron.d' may hold only",
        ),
    ],
    ids=[
        "top-level-typo",
        "audiences-typo",
        "source-key-typo",
        "bool-type",
        "int-type",
        "no-processes",
        "negative-timeout",
        "timeout-in-milliseconds",
        "impossible-date",
        "a-million-retries",
        "delivery-retries",
        "backoff-of-ten-minutes",
        "no-sources",
        "absurd-smtp-timeout",
        "alerts-via-typo",
        "delivery-via-typo",
        "smtp-key-typo",
        "unknown-option",
        "plugin-option-type",
        "url-without-scheme",
        "url-bare-host",
        "audience-traversal",
        "audience-absolute",
    ],
)
def test_mistakes_in_feeds_yaml_are_named_by_line(project, text, message):
    project.config_path.write_text(text)
    result = project.run("sources", expect=2)
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "secret",
    [
        "delivery:\n  smtp:\n    Password: hunter2\n",
        "delivery:\n  smtp:\n    smtp_password: hunter2\n",
        "delivery:\n  passwd: hunter2\n",
        "delivery:\n  notify:\n    apiKey: abc\n",
        "delivery:\n  notify:\n    api-key: abc\n",
        "delivery:\n  notify:\n    API_KEY: abc\n",
        "settings:\n  token: abc\n",
        "settings:\n  secret: abc\n",
        "organisation_extra:\n  pass: abc\n",
    ],
)
def test_secrets_under_any_key_are_refused(project, secret):
    project.config_path.write_text(VALID + secret)
    result = project.run("sources", expect=2)
    assert "looks like a secret: put it in an environment variable" in result.output


@pytest.mark.parametrize(
    "url", ["https://user:hunter2@news.example/feed.xml", "http://admin@intranet.example/"]
)
def test_urls_with_credentials_are_refused(project, url):
    project.config_path.write_text(VALID.replace("https://news.example/feed.xml", url))
    result = project.run("sources", expect=2)
    assert "has a user name or password in its URL" in result.output
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    "encoded",
    [
        VALID.encode("utf-16"),
        VALID.encode("utf-8-sig"),
        VALID.replace("Testshire", "Tŷ Council").encode("cp1252", "replace"),
    ],
    ids=["utf-16 (Notepad Unicode)", "utf-8 with BOM", "windows-1252 (Notepad ANSI)"],
)
def test_feeds_yaml_in_the_encodings_notepad_saves(project, encoded):
    project.config_path.write_bytes(encoded)
    assert project.run("sources").output.startswith("news [feed]")


def test_a_folder_given_as_the_config_is_one_line(project):
    result = project.run("--config", str(project.path), "sources", expect=2)
    assert "is a folder: give the feeds.yaml file inside it" in result.output


def test_a_config_checked_once_is_still_checked_after_every_edit(project):
    """The schema check is skipped for a file that passed it before (start-up speed), so
    an edit, however small, must be checked again."""
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    project.run("subscribers", "list")  # makes the data folder
    project.run("sources")
    assert (project.data_dir / "config-checked").exists()
    text = project.config_path.read_text()
    project.config_path.write_text(text.replace("settings:", "setings:"))
    result = project.run("sources", expect=2)
    assert "unknown key 'setings'" in result.output


def test_a_wrong_value_is_shown_cut_short_however_big(project):
    huge = "[" + ", ".join([f"'{'x' * 1000}'"] * 2000) + "]"
    project.config_path.write_text(VALID + f"settings:\n  workers: {huge}\n")
    message = project.run("sources", expect=2).output
    assert message.startswith("Error: ") and "settings.workers: input should be" in message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace("  name: Testshire Council\n", "  name: A\n  name: B\n"),
            "feeds.yaml line 3: duplicate key 'name' (first on line 2)",
        ),
        (
            VALID + "audiences:\n  governors: Governors\n",
            "feeds.yaml line 9: duplicate key 'audiences' (first on line 3)",
        ),
        (
            VALID + "    kind: govuk\n",
            "feeds.yaml line 9: duplicate key 'kind' (first on line 7)",
        ),
        (
            VALID.replace("  dsls: DSLs", "  {dsls: DSLs, 'dsls': Again}"),
            "feeds.yaml line 4: duplicate key 'dsls' (first on line 4)",
        ),
        (
            VALID + "settings:\n  robots: yes\n  robots: no\n",
            "feeds.yaml line 11: duplicate key 'robots' (first on line 10)",
        ),
    ],
)
def test_a_key_given_twice_in_feeds_yaml_is_refused_with_both_lines(project, text, message):
    project.config_path.write_text(text)
    output = project.run("sources", expect=2).output
    assert output.startswith("Error: ") and output.endswith(f"/{message}\n")


def test_merged_keys_overridden_are_not_duplicates(project):
    project.config_path.write_text(
        VALID.replace("  - id: news\n", "  - &news\n    id: news\n")
        + "  - <<: *news\n    id: other\n    url: https://other.example/feed.xml\n"
    )
    listed = project.run("sources").output.splitlines()
    assert [line.split()[0] for line in listed if "[feed]" in line] == ["news", "other"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2024-02-29", "2024-02-29"),
        ("2024-02-29 10:30:00", "2024-02-29 10:30:00"),
        ("2024-02-29T10:30:00Z", "2024-02-29 10:30:00+00:00"),
    ],
)
def test_a_date_where_text_belongs_is_shown_as_typed_with_what_to_do(project, value, shown):
    project.config_path.write_text(VALID.replace("name: Testshire Council", f"name: {value}"))
    message = project.run("sources", expect=2).output
    assert f"organisation.name: input should be a valid string (got {shown}" in message
    assert "put it in quotes" in message
    assert "datetime" not in message and message.count("\n") == 1


def merges_of_merges(levels: int = 9) -> str:
    """A 'billion laughs' of merge keys: each mapping merges the one before ten times."""
    lines = ["l0: &a0 {" + ", ".join(f"k{n}: x" for n in range(10)) + "}"]
    lines += [f"l{n}: &a{n} {{<<: [{', '.join([f'*a{n - 1}'] * 10)}]}}" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID + "extra: {true: x, 1: y}\n",
            "feeds.yaml line 9: key '1' is read as the same key as 'true' (line 9): "
            "put them in quotes to keep them apart",
        ),
        (
            VALID + "extra:\n  0: x\n  no: y\n",
            "feeds.yaml line 11: key 'no' is read as the same key as '0' (line 10)",
        ),
        (VALID + "extra: {1: x, 1.0: y}\n", "key '1.0' is read as the same key as '1' (line 9)"),
        (VALID + "extra: {1: x, 0x1: y}\n", "line 9: duplicate key '0x1' (first on line 9)"),
        (VALID + "extra: {yes: x, on: y}\n", "line 9: duplicate key 'on' (first on line 9)"),
        (VALID + "~: x\n", "feeds.yaml line 9: key '~' is null: write a name, or put it in quotes"),
        (VALID + "extra:\n  null: x\n", "feeds.yaml line 10: key 'null' is null"),
        (VALID + "? \n: x\n", "feeds.yaml line 9: a key is empty: write a name"),
        (VALID + merges_of_merges(), "feeds.yaml line 14: merges more than 1,000,000 keys"),
        (VALID + "extra: &m {a: 1, <<: *m}\n", "line 9: an alias (*name) is used inside its own"),
    ],
)
def test_keys_read_alike_null_keys_and_runaway_merges_are_named_by_line(project, text, message):
    project.config_path.write_text(text)
    output = project.run("sources", expect=2).output
    assert output.startswith("Error: ") and message in output and output.count("\n") == 1


def test_keys_that_differ_in_type_are_not_duplicates():
    loaded = load_yaml("{1: a, '1': b, 'true': c, 2024-01-02: d, '2024-01-02': e}\n", "x.yaml")
    assert loaded == {1: "a", "1": "b", "true": "c", date(2024, 1, 2): "d", "2024-01-02": "e"}
    assert loaded.key_lines == {1: 1, "1": 1, "true": 1, date(2024, 1, 2): 1, "2024-01-02": 1}


def test_a_mapping_merged_before_it_is_read_is_not_taken_for_keys_given_twice():
    text = "base: &b {x: 1}\na: [{k: &m {<<: *b, x: 2}}]\nc: {<<: *m}\n"
    loaded = load_yaml(text, "feeds.yaml")
    assert loaded["a"][0]["k"] == loaded["c"] == {"x": 2}
    assert load_text_yaml(text, "editorial.yaml")["c"] == {"x": "2"}


@pytest.mark.parametrize("key", ["k", "kk", "title"])
@pytest.mark.parametrize("load", [load_yaml, load_text_yaml])
def test_merges_give_way_in_one_order_in_every_file(key, load):
    """The first mapping of a '<<' list wins, a later '<<' line wins, the mapping's own
    key wins over all: whatever the key's length (PyYAML 6.0.4 differs by it)."""
    anchors = f"a: &a {{{key}: 1}}\nb: &b {{{key}: 2}}\n"
    merges = f"c: {{<<: [*a, *b]}}\nd: {{<<: *a, <<: *b}}\ne: {{<<: *a, {key}: 3}}\n"
    loaded = load(anchors + merges, "x.yaml")
    assert [str(loaded[name][key]) for name in "cde"] == ["1", "2", "3"]
