from pathlib import Path

import pytest

from publisher.cli.project import STARTER_CONFIG

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


def test_config_and_data_dir_from_environment(project, monkeypatch, tmp_path):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    monkeypatch.setenv("PUBLISHER_CONFIG", str(project.config_path))
    monkeypatch.setenv("PUBLISHER_DATA_DIR", str(tmp_path / "elsewhere"))
    from click.testing import CliRunner

    from publisher.cli import cli

    result = CliRunner().invoke(cli, ["sources"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "publisher.db").exists()
