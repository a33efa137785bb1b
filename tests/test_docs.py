"""The README keeps up with the code: every hook with its signature, every command."""

import inspect
from pathlib import Path

from publisher import hookspecs
from publisher.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_hook_is_documented_with_its_signature():
    hooks = [
        (name, function)
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "publisher_spec")
    ]
    assert len(hooks) >= 7
    for name, function in hooks:
        signature = f"{name}({', '.join(inspect.signature(function).parameters)})"
        assert f"`{signature}`" in README, f"README does not document {signature}"
        assert function.__doc__ and len(function.__doc__) > 40, f"{name} needs a docstring"


def test_every_command_is_in_the_cli_tour():
    for name in cli.commands:
        assert f"publisher {name}" in README, f"README's CLI tour lacks 'publisher {name}'"


def _help(words: list[str]) -> str:
    """The --help of the deepest command ``words`` name (``mi publish``, ``send``)."""
    from click.testing import CliRunner

    command, path = cli, []
    for word in words:
        sub = command.get_command(None, word) if hasattr(command, "get_command") else None
        if sub is None:
            break
        command, path = sub, [*path, word]
    return CliRunner().invoke(cli, [*path, "--help"], terminal_width=200).output


def test_every_option_the_readme_shows_is_one_the_command_takes():
    """Each `publisher ...` line in the README's code: its --options are in that
    command's --help (so the README never teaches an option that is gone or misspelt)."""
    import re

    checked = 0
    for line in README.splitlines():
        line = line.split("#")[0].strip().lstrip("$ ")
        match = re.match(r"(?:.*&& )?(?:\.venv/bin/)?publisher ((?:[a-z][\w-]* ?)+)(.*)", line)
        if not match or "--" not in line:
            continue
        words = [w for w in match.group(1).split() if not w.startswith("-")]
        help_text = _help([w for w in words if "|" not in w])
        for option in set(re.findall(r"(--[a-z][a-z-]*)", line)):
            if option in ("--help", "--version"):
                continue
            assert option in help_text, f"README: {line!r}: {option} is not in the help"
            checked += 1
    assert checked > 40
