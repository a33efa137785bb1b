import json

import click

from publisher import hookimpl
from publisher.models import Item, SourceResult
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
    assert listed["feeds"] == ["register_outputs"]
    assert listed["ics"] == ["register_outputs"]
    assert listed["site"] == ["register_outputs"]
    assert listed["outbox"] == ["register_deliverers"]
    assert "feed: register_sources" in project.run("plugins").output.splitlines()


def test_a_plugin_adds_a_source_kind(project, register_plugin):
    register_plugin(StaticSourcePlugin(), name="static-test")
    project.configure([{"id": "fixed", "kind": "static"}])
    assert project.run("fetch").output.splitlines()[0] == "fixed  2 new, 0 updated, 0 unchanged"
    assert "static-test: register_commands, register_sources" in project.run("plugins").output


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


def test_register_commands_adds_subcommands(register_plugin):
    from click.testing import CliRunner

    from publisher.plugins import pm

    register_plugin(StaticSourcePlugin(), name="static-test")
    group = click.Group("publisher")
    pm.hook.register_commands(cli=group)
    assert CliRunner().invoke(group, ["hello-plugin"]).output == "hello from a plugin\n"
