"""One cleaner for text from outside: control characters, terminal escapes, characters XML
cannot carry, runaway whitespace and size. Applied where source results enter the store
(``publisher.boundary``), so every output (pages, feeds, emails, the terminal) inherits it."""

from __future__ import annotations

import re

# Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks), and
# single-character escapes. Removed whole, so no '[31m' is left behind.
_TERMINAL_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[@-Z\\-_]"  # two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte CSI
)
# C0 controls but tab and newline, DEL, C1 controls, and what XML 1.0 cannot hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n){2,}")


def clean_text(value: str, max_length: int | None = None, multiline: bool = False) -> str:
    """Text safe for every output: no control characters or terminal escapes; one line with
    single spaces (or, ``multiline``, no runs of blank lines); at most ``max_length``
    characters, cut at a word with an ellipsis."""
    text = _CONTROL.sub("", _TERMINAL_ESCAPES.sub("", value.replace("\r\n", "\n")))
    if multiline:
        text = _BLANK_LINES.sub("\n\n", text.replace("\r", "\n")).strip()
    else:
        text = _SPACE.sub(" ", text).strip()
    return shorten(text, max_length) if max_length else text


def shorten(text: str, max_length: int) -> str:
    """``text``, or its first ``max_length`` characters cut at a word, with an ellipsis."""
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-40:] else cut).rstrip() + "…"


def for_terminal(value: str) -> str:
    """What may be printed to a terminal: no escapes or controls (tab and newline kept)."""
    return _CONTROL.sub("", _TERMINAL_ESCAPES.sub("", value))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 email', '2 emails', '1 entry', '3 entries' (give irregular plurals)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
