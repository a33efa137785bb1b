"""An MI sheet as the Markdown file people edit (``mi edit``, the web editor): its fields
as front matter, then the body.

The front matter is the whole truth of the sheet's fields: an unknown key is refused (with
the key meant), a deleted one leaves its field empty, each value is the text typed (see
``yaml_files.load_text_yaml``), and a '---' delimits only as a line of its own.
"""

from __future__ import annotations

import re
from dataclasses import replace

import yaml

from publisher.models import Notice
from publisher.notices import NoticeError, check_title, is_working_days, validate_due
from publisher.text import clean_text
from publisher.yaml_files import YamlError, holds_values, load_text_yaml

FRONT_MATTER_FIELDS = ("title", "type", "due", "contact", "audiences", "replaces")
REQUIRED_FIELDS = ("title", "type")
FIELDS_HINT = (
    "# These lines are the sheet's fields: a field whose line you delete is left empty\n"
    "# (title and type are needed; due is working days, like 7, or a date, like 12/01/2024).\n"
)
MARKDOWN_HINT = (
    "# The body below the next line is Markdown: ## Heading, - list item, **bold**,\n"
    "# [link text](https://...). HTML is shown as typed, never run.\n"
)
EMPTY_AUDIENCE = "an entry of 'audiences' is empty: write an audience id or delete the entry"
# Front matter starts and ends with a line that is '---' and nothing else.
_DELIMITER = re.compile(r"^---[ \t]*$", re.MULTILINE)


def to_markdown(notice: Notice) -> str:
    """The editable form of a sheet: its fields as YAML front matter, then the body."""
    fields = {
        "title": notice.title,
        "type": notice.type,
        "due": int(notice.due) if is_working_days(notice.due) else notice.due,
        "contact": notice.contact,
        "audiences": list(notice.audiences),
        "replaces": notice.replaces,
    }
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    return f"---\n{front}{FIELDS_HINT}{MARKDOWN_HINT}---\n{notice.body.strip()}\n"


def from_markdown(text: str, base: Notice) -> Notice:
    """Apply an edited markdown file (front matter + body) to a sheet.

    The front matter is the whole truth of the sheet's fields: an unknown key is refused
    (with the key meant), a deleted one leaves its field empty, each value is the text
    typed (see ``load_text_yaml``). Text without front matter replaces the body only."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front, body = _split_front_matter(text)
    body = clean_text(body, multiline=True)
    if front is None:
        return replace(base, body=body)
    fields = _front_fields(front)
    values = {name: _one_value(fields, name) for name in FRONT_MATTER_FIELDS if name != "audiences"}
    audiences = fields.get("audiences") or ()
    if not isinstance(audiences, list | tuple):
        audiences = [audiences]
    if any(holds_values(audience) for audience in audiences):
        raise NoticeError("the front matter's 'audiences' must be a list of audience ids")
    if not all(_text(audience) for audience in audiences):
        raise NoticeError(_at_line(fields, "audiences", EMPTY_AUDIENCE))
    for name in REQUIRED_FIELDS:
        if name not in fields:
            raise NoticeError(f"the front matter has no '{name}' line: add one")
    replaces, contact = values["replaces"], values["contact"]
    return replace(
        base,
        title=check_title(_text(values["title"])),
        type=_text(values["type"]),
        due=_checked_due(fields, values["due"]),
        contact=_text(contact),
        audiences=tuple(_text(audience) for audience in audiences),
        replaces=_text(replaces) or None,
        body=body,
    )


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter, body); no front matter unless the first line is '---'. The front
    matter keeps the first line's end, so its line numbers are the file's."""
    opening = _DELIMITER.match(text)
    if opening is None:
        return None, text
    closing = _DELIMITER.search(text, opening.end())
    if closing is None:
        raise NoticeError("the front matter needs a closing '---' line")
    return text[opening.end() : closing.start()], text[closing.end() :]


def _front_fields(front: str) -> dict:
    try:
        fields = load_text_yaml(front, "the front matter") or {}
    except YamlError as error:
        where = f"line {error.line}: " if error.line else ""
        raise NoticeError(f"{where}the front matter is not valid YAML: {error.message}") from None
    if not isinstance(fields, dict):
        raise NoticeError("the front matter must be 'field: value' lines")
    _refuse_unknown_keys(fields)
    return fields


def _refuse_unknown_keys(fields: dict) -> None:
    """An unknown key named with its line and the key meant, as feeds.yaml's are."""
    from publisher.config_schema import unknown_key_problems  # pydantic: when a sheet is read

    named = {str(key): value for key, value in fields.items()}
    for (key, *_), message in unknown_key_problems(named, FRONT_MATTER_FIELDS)[:1]:
        raise NoticeError(_at_line(fields, key, message))


def _checked_due(fields: dict, due: str | None) -> str | None:
    """``validate_due``, its refusal naming the line of 'due'."""
    try:
        return validate_due(due)
    except NoticeError as error:
        raise NoticeError(_at_line(fields, "due", str(error))) from None


def _at_line(fields: dict, key: str, message: str) -> str:
    line = getattr(fields, "key_lines", {}).get(key)
    return f"line {line}: {message}" if line else message


def _one_value(fields: dict, name: str) -> object:
    value = fields.get(name)
    if holds_values(value):
        raise NoticeError(f"the front matter's '{name}' must be one value, not a list or mapping")
    return value


def _text(value: str | None) -> str:
    """A front matter value as one clean line ('' for an empty one)."""
    return "" if value is None else clean_text(str(value))
