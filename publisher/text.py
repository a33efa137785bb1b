"""One cleaner for text from outside: control characters, terminal escapes, characters XML
cannot carry, bidi overrides, runaway whitespace and size. Applied where source results enter
the store (``publisher.boundary``), so every output (pages, feeds, emails, the terminal)
inherits it."""

from __future__ import annotations

import html
import re

# Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks), and
# single-character escapes. Removed whole, so no '[31m' is left behind.
_TERMINAL_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[@-Z\\-_]"  # two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte CSI
)
# C0 controls but tab and newline, DEL, C1 controls, what XML 1.0 cannot hold, and the
# bidi embeddings, overrides and isolates that make "gnp.exe" read "exe.png" (and U+FEFF).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069\ufeff]"
)
# Numeric character references (a semicolon is optional in HTML): summaries are HTML, and
# every output decodes them, so "&#1;" must go where a raw U+0001 would.
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
# ESC (and BEL, which ends a title escape) written as references: decoded first, so the
# whole escape sequence goes ("[31m" too), as a raw one does.
_ESCAPE_REFERENCE = re.compile(r"&#(?:[xX]0*(1[bB]|7)|0*(27|7))(?![0-9a-fA-F]);?")
_SPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n){2,}")


def clean_text(value: str, max_length: int | None = None, multiline: bool = False) -> str:
    """Text safe for every output: no control characters or terminal escapes; one line with
    single spaces (or, ``multiline``, no runs of blank lines); at most ``max_length``
    characters, cut at a word with an ellipsis."""
    text = without_control_references(value.replace("\r\n", "\n"))
    if multiline:
        text = _BLANK_LINES.sub("\n\n", text.replace("\r", "\n")).strip()
    else:
        text = _SPACE.sub(" ", text).strip()
    return shorten(text, max_length) if max_length else text


def without_control_references(value: str, whole_escapes: bool = True) -> str:
    """``value`` without control characters, raw or written as character references (which
    HTML and XML outputs decode); escape sequences go whole either way, unless not
    ``whole_escapes`` (markup, whose quotes and tags an escape's tail must not take)."""
    if not whole_escapes:
        text = _CONTROL.sub("", value)
    elif "&#" in value:
        text = without_controls(_ESCAPE_REFERENCE.sub(_decoded, value))
    else:
        text = without_controls(value)
    while "&#" in text:  # until none is left: "&#&#1;1;" is "&#1;" once the inner one goes
        harmless = _CHARACTER_REFERENCE.sub(_harmless_reference, text)
        if harmless == text:
            break
        text = harmless
    return text


def shorten(text: str, max_length: int) -> str:
    """``text``, or its first ``max_length`` characters cut at a word, with an ellipsis."""
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-40:] else cut).rstrip() + "…"


def without_controls(value: str) -> str:
    """``value`` without terminal escapes or control characters (tab and newline kept)."""
    return _CONTROL.sub("", _TERMINAL_ESCAPES.sub("", value))


def _decoded(reference: re.Match) -> str:
    hexadecimal, decimal = reference.groups()
    return chr(int(hexadecimal, 16) if hexadecimal else int(decimal))


def _harmless_reference(reference: re.Match) -> str:
    """A character reference, or nothing if it stands for a character ``clean_text`` drops.
    HTML reads "&#150;" as Windows-1252 does (an en dash); the rest as code points."""
    hexadecimal, decimal = reference.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if 0x80 <= code <= 0x9F:
        character = html.unescape(f"&#{code};")
    else:
        character = chr(code) if 0 < code <= 0x10FFFF else "\x00"
    return "" if _CONTROL.match(character) else reference.group()


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 email', '2 emails', '1 entry', '3 entries' (give irregular plurals)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
