import json
import os
import subprocess
import sys

import click
import pytest

from publisher import hookimpl
from publisher.deliver import deliverers
from publisher.models import Item, SourceResult
from publisher.outputs import Output
from publisher.plugins import PluginConflict
from publisher.sources import SourceKind


class StaticSourcePlugin:
    """A third-party-style plugin: a source kind that needs no url, and a command."""

    @hookimpl
    def register_sources(self, register):
        register(SourceKind("static", self.fetch, "two fixed items", needs_url=False))

    @hookimpl
    def register_commands(self, cli):
        @cli.command(name="hello-plugin")
        def hello():
            click.echo("hello from a plugin")

    @staticmethod
    def fetch(source, context):
        return SourceResult(
            items=(
                Item(key="a", url="https://static.example/a", title="A"),
                Item(key="b", url="https://static.example/b", title="B"),
            )
        )


def test_plugins_lists_builtins_with_their_hooks(project):
    listed = {
        row["name"]: row["hooks"]
        for row in json.loads(project.run("plugins", "--format", "json").output)
    }
    assert listed["feed"] == ["register_sources"]
    assert listed["syndication"] == ["register_outputs"]
    assert listed["ics"] == ["register_outputs"]
    assert listed["site"] == ["register_outputs"]
    assert listed["outbox"] == ["register_deliverers"]
    assert "feed: register_sources" in project.run("plugins").output.splitlines()


def test_a_plugin_adds_a_source_kind(project, register_plugin):
    register_plugin(StaticSourcePlugin(), name="static-test")
    project.configure([{"id": "fixed", "kind": "static"}])
    assert project.run("fetch").output.splitlines()[0] == "fixed  2 new, 0 updated, 0 unchanged"
    listed = project.run("plugins").output
    assert "static-test: register_commands, register_sources" in listed
    # What plugins add is listed with its description, the built-ins' and the new one's.
    kinds = listed.split("Source kinds (feeds.yaml 'kind'):\n")[1].split("\n\n")[0]
    described = dict(line.split(None, 1) for line in kinds.splitlines())
    assert described["static"] == "two fixed items"
    assert described["govuk-search"] == "new GOV.UK documents via the Search API"
    assert "  site   static pages: bulletins, MI sheets, latest updates" in listed
    assert "Deliverers (delivery.via):\n  notify\n  outbox\n  smtp\n" in listed


def test_a_plugin_source_that_crashes_does_not_stop_others(project, register_plugin):
    class Broken:
        @hookimpl
        def register_sources(self, register):
            register(SourceKind("broken", lambda source, context: 1 / 0, needs_url=False))

    register_plugin(StaticSourcePlugin(), name="static-test")
    register_plugin(Broken(), name="broken-test")
    project.configure([{"id": "bad", "kind": "broken"}, {"id": "fixed", "kind": "static"}])
    lines = project.run("fetch", expect=1).output.splitlines()
    assert lines[0] == (
        "bad    FAILED: unexpected error in the 'broken' source: "
        "ZeroDivisionError('division by zero')"
    )
    assert lines[1] == "fixed  2 new, 0 updated, 0 unchanged"


HELLO_PLUGIN = """
import click
from publisher import hookimpl

@hookimpl
def register_commands(cli):
    @cli.command(name="hello-plugin")
    def hello():
        "Say hello from a third-party plugin."
        click.echo("hello from a plugin")
"""


@pytest.fixture
def installed_plugin(tmp_path):
    """A third-party plugin installed the way pip does: a module and a dist-info folder
    whose entry_points.txt names it in the ``publisher`` group. Returns the environment
    for a ``publisher`` process that sees it."""
    site = tmp_path / "site-packages"
    (site / "hello_plugin-0.1.dist-info").mkdir(parents=True)
    (site / "hello_plugin.py").write_text(HELLO_PLUGIN)
    (site / "hello_plugin-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hello-plugin\nVersion: 0.1\n"
    )
    (site / "hello_plugin-0.1.dist-info" / "entry_points.txt").write_text(
        "[publisher]\nhello = hello_plugin\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PUBLISHER_LOAD_PLUGINS", None)
    env.pop("PUBLISHER_TRACE_PLUGINS", None)
    return env


def publisher(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args], env=env, capture_output=True, text=True
    )


def test_a_third_party_plugin_adds_a_command_to_publisher(installed_plugin):
    assert (
        "hello-plugin  Say hello from a third-party plugin."
        in publisher("--help", env=installed_plugin).stdout
    )
    assert publisher("hello-plugin", env=installed_plugin).stdout == "hello from a plugin\n"
    assert "hello: register_commands" in publisher("plugins", env=installed_plugin).stdout


@pytest.mark.parametrize(
    ("wanted", "loaded"), [("", False), ("hello", True), ("other, hello ", True), ("other", False)]
)
def test_load_plugins_chooses_third_party_plugins_never_the_built_ins(
    installed_plugin, wanted, loaded
):
    listed = publisher(
        "plugins", env={**installed_plugin, "PUBLISHER_LOAD_PLUGINS": wanted}
    ).stdout.splitlines()
    assert ("hello: register_commands" in listed) is loaded
    assert "feed: register_sources" in listed
    assert "outbox: register_deliverers" in listed


def test_trace_plugins_prints_hook_calls(installed_plugin):
    result = publisher("plugins", env={**installed_plugin, "PUBLISHER_TRACE_PLUGINS": "1"})
    assert "register_commands" in result.stderr
    assert publisher("plugins", env=installed_plugin).stderr == ""


class SourceImpostor:
    @hookimpl
    def register_sources(self, register):
        register(SourceKind("feed", StaticSourcePlugin.fetch, needs_url=False))


class OutputImpostor:
    @hookimpl
    def register_outputs(self, register):
        register(Output("site", lambda site: []))


class DelivererImpostor:
    @hookimpl
    def register_deliverers(self, register):
        register("outbox", lambda config, data_dir: None)


@pytest.mark.parametrize(
    ("impostor", "command", "message"),
    [
        (SourceImpostor, ("fetch",), "two plugins register the source kind 'feed'"),
        (OutputImpostor, ("build",), "two plugins register the output 'site'"),
        (DelivererImpostor, ("plugins",), None),
    ],
)
def test_two_plugins_may_not_take_one_name(project, register_plugin, impostor, command, message):
    """Built-in names taken again by another plugin: an error naming the name, never a
    silent choice of one of them."""
    project.configure([{"id": "fixed", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    register_plugin(impostor(), name="impostor")
    if message is None:  # listing plugins still works, so the user can find the culprit
        listed = project.run(*command).output
        assert "impostor: register_deliverers" in listed
        assert "two plugins register the deliverer 'outbox'" in listed
        return
    assert message in project.run(*command, expect=1).output


def test_a_deliverer_name_taken_twice_is_an_error(register_plugin):
    register_plugin(DelivererImpostor(), name="impostor")
    with pytest.raises(PluginConflict, match="two plugins register the deliverer 'outbox'"):
        deliverers()
