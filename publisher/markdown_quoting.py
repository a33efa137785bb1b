"""Text from outside written as Markdown that shows it as written."""

from __future__ import annotations

import re

# Markdown punctuation anywhere in a line, and what starts a block at the start of one.
_MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_\[\]<|~]|&(?=#?[0-9A-Za-z]+;)")
_BLOCK_MARKER = re.compile(r"^(?:[#>+=-]|\d{1,9}(?=[.)]))")


def plain_markdown(text: str, keep_lines: bool = False) -> str:
    """``text`` written as Markdown that shows it as written: no link, image, emphasis,
    heading, list, code or HTML of its own. One line, or with ``keep_lines`` its lines
    (and paragraphs) as they were."""
    lines = text.splitlines() if keep_lines else [" ".join(text.split())]
    quoted = "\n".join(_plain_line(line) for line in lines)
    return re.sub(r"\n{3,}", "\n\n", quoted).strip()


def _plain_line(line: str) -> str:
    line = _MARKDOWN_PUNCTUATION.sub(lambda found: "\\" + found.group(), line.strip())
    return _BLOCK_MARKER.sub(lambda found: _block_marker_quoted(found.group()), line, count=1)


def _block_marker_quoted(marker: str) -> str:
    # '#', '>', '-', '+', '=' start a block by themselves; a number only with its '.' or ')'.
    return marker + "\\" if marker.isdigit() else "\\" + marker
