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
