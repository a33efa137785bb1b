import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from publisher.cli import cli
from publisher.plugins import pm

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config):
    # Third-party plugins installed on this machine must not leak into the tests.
    sys._called_from_test = True


BASE_CONFIG = {
    "organisation": {
        "name": "Testshire Council Education Safeguarding",
        "contact": "Education Safeguarding",
        "email": "safeguarding@testshire.example",
    },
    "audiences": {"headteachers": "Headteachers", "dsls": "DSLs", "governors": "Governors"},
    # Fast and impatient: the politeness rules have tests of their own.
    # robots.txt has tests of its own; elsewhere the test servers do not serve one.
    "settings": {"timeout": 1, "host_delay": 0, "per_host": 4, "retries": 0, "robots": False},
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def http_server():
    """One real HTTP server on 127.0.0.1 for the whole run; it answers in threads."""
    http_server = HTTPServer(host="127.0.0.1", threaded=True)
    http_server.start()
    yield http_server
    http_server.stop()


@pytest.fixture
def server(http_server):
    """The HTTP server, with no handlers and no recorded requests: each test starts clean."""
    http_server.clear()
    yield http_server
    http_server.clear()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with a feeds.yaml written from ``project.configure(sources)``; runs the CLI."""
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    monkeypatch.delenv("PUBLISHER_DATA_DIR", raising=False)
    return Project(tmp_path)


class Project:
    def __init__(self, path: Path):
        self.path = path
        self.config_path = path / "feeds.yaml"
        self.data_dir = path / "data"

    def configure(self, sources: list[dict], **overrides) -> Path:
        settings = {**BASE_CONFIG["settings"], **overrides.pop("settings", {})}
        config = {**BASE_CONFIG, **overrides, "settings": settings, "sources": sources}
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        return self.config_path

    def argv(self, *args: str) -> list[str]:
        """The command line that runs ``publisher`` on this project in a new process."""
        return [
            sys.executable,
            "-m",
            "publisher",
            "--config",
            str(self.config_path),
            "--data-dir",
            str(self.data_dir),
            *args,
        ]

    def run(self, *args: str, expect: int | None = 0):
        result = CliRunner().invoke(
            cli, ["--config", str(self.config_path), "--data-dir", str(self.data_dir), *args]
        )
        if expect is not None:
            assert result.exit_code == expect, result.output + repr(result.exception)
        return result

    def items(self, source_id: str | None = None) -> list[dict]:
        """What is stored (``items --format json``), of one source or all."""
        args = ["items", "--format", "json", "--limit", "1000"]
        if source_id:
            args += ["--source", source_id]
        return json.loads(self.run(*args).output)

    def changes(self) -> list[dict]:
        """The changes detected so far (``changes --format json``)."""
        return json.loads(self.run("changes", "--format", "json").output)

    def import_subscribers(self, *rows: str, columns: str = "email,name,school,audiences"):
        """Import CSV rows like 'jo@oak.example,Jo,Oak Primary,dsls'."""
        path = self.path / "subscribers.csv"
        path.write_text("\n".join([columns, *rows]) + "\n")
        return self.run("subscribers", "import", str(path))

    def publish_sheet(self, title: str, at: str, *options: str) -> str:
        """Draft (for DSLs), approve and publish MI sheet 1; returns its number."""
        self.run("mi", "new", "--title", title, "--audience", "dsls", *options)
        self.run("mi", "approve", "1")
        self.run("mi", "publish", "1", "--at", at)
        return json.loads(self.run("mi", "show", "1", "--format", "json").output)["number"]


@pytest.fixture
def register_plugin():
    """Register a test plugin for one test; unregistered afterwards."""
    registered = []

    def register(plugin, name: str):
        pm.register(plugin, name=name)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        pm.unregister(plugin)


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """A folder where `publisher demo` has run: its site, outbox and data, shared read-only."""
    from click.testing import CliRunner

    from publisher.cli import cli

    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright, for browser tests (marked browser)."""
    import shutil

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def axe_violations(page) -> str | None:
    """axe-core's report of WCAG 2.2 AA and best-practice violations on the page, or None."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return results.generate_report() if results.violations_count else None


# The built site's pages, one of each kind.
SITE_PAGES = (
    "index.html",
    "updates.html",
    "subscribe.html",
    "mi/index.html",
    "mi/mi-1-24.html",
    "bulletins/index.html",
    "bulletins/2024-02/index.html",
    "bulletins/2024-02/dsls.html",
)


def assert_no_axe_violations(chromium, base_url: str, paths, width: int = 1280) -> None:
    """Each page of ``paths`` under ``base_url``, at ``width`` pixels: axe finds nothing."""
    page = chromium.new_page(viewport={"width": width, "height": 800})
    problems = {}
    try:
        for path in paths:
            page.goto(base_url + path)
            if report := axe_violations(page):
                problems[path] = report
    finally:
        page.close()
    assert not problems, "\n".join(f"{path}:\n{report}" for path, report in problems.items())
