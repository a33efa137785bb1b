"""Errors a user can act on, and the exit status each one means.

Core modules raise these; every face (the CLI, the web app) shows the message as one line.
The rule for exit codes lives here: 2 when the request itself was wrong (bad usage, a bad
file or value), 1 when a sound request could not be carried out.
"""

from __future__ import annotations


class PublisherError(Exception):
    """A run that could not be carried out, with a message for the user (exit 1)."""

    exit_code = 1


class InputError(PublisherError):
    """Bad usage or input: a value, file or request that cannot be accepted (exit 2)."""

    exit_code = 2
