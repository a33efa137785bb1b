"""The command line's start-up: built-in commands load when used, and --help shows them
with their own summaries, quickly."""

import importlib
import subprocess
import sys

import pytest

from publisher.cli import COMMANDS


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_summary_is_the_commands_own(name):
    module, function, summary = COMMANDS[name]
    command = getattr(importlib.import_module(f"publisher.cli.{module}"), function)
    assert command.get_short_help_str(limit=60) == summary


def test_help_lists_every_command_without_importing_them():
    code = (
        "import sys; from click.testing import CliRunner; from publisher.cli import cli; "
        "out = CliRunner().invoke(cli, ['--help']).output; "
        "print(sorted(m for m in sys.modules if m.startswith(('publisher.cli.', 'feedparser', "
        "'jinja2', 'requests', 'pydantic', 'icalendar', 'flask')))); print(out)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loaded, _, help_text = result.stdout.partition("\n")
    assert loaded == "[]"
    for name in COMMANDS:
        assert f"  {name} " in help_text


def test_starting_the_command_line_loads_few_modules():
    """A budget: `import publisher.cli` loaded about 190 modules when this was written."""
    code = (
        "import sys; before = set(sys.modules); import publisher.cli; "
        "print(len(set(sys.modules) - before))"
    )
    loaded = int(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    )
    assert loaded < 300  # before the lazy loading: 741


def test_listing_sources_loads_no_fetching_parsing_or_mail_library(project):
    """`publisher sources` loads every plugin (its source kinds check feeds.yaml), but none
    of what they fetch, parse or send with until one of them runs."""
    project.configure(
        [
            {"id": "news", "kind": "feed", "url": "https://news.example/feed"},
            {"id": "kcsie", "kind": "govuk", "url": "/government/publications/kcsie"},
            {"id": "ofcom", "kind": "listing", "url": "https://ofcom.example/news"},
            {"id": "policy", "kind": "page", "url": "https://swgfl.example/policy"},
        ]
    )
    code = (
        "import sys, runpy; sys.argv[0] = 'publisher'\n"
        "try: runpy.run_module('publisher', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in {"
        "'requests', 'urllib3', 'feedparser', 'selectolax', 'nh3', 'smtplib', 'ssl', "
        "'multiprocessing', 'jinja2'} or m in {'publisher.fetch', 'publisher.messages', "
        "'urllib.request'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *project.argv("sources")[3:]],  # past `-m publisher`
        capture_output=True,
        text=True,
        check=True,
    )
    listed, _, loaded = result.stdout.rstrip().rpartition("\n")
    assert "news [feed] https://news.example/feed" in listed
    assert loaded == "[]"
