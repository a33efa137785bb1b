"""The shape of feeds.yaml, checked with pydantic before anything else reads it: every key
known (a mistyped one is named with its line and the key meant), every value of its type.

pydantic because typed models give precise errors for free and keep the schema readable
as a list of fields; plugins add the options of their source kinds (``SourceKind.options``)
so those are checked too. Errors come back as (path of keys, message) for ``config.py`` to
turn into "feeds.yaml line N: ...".
"""

from __future__ import annotations

import difflib
import functools
import reprlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

if TYPE_CHECKING:
    from publisher.sources import SourceKind

Number = float
Names = str | list[str]


MAX_TIMEOUT = 3600  # seconds: more is a mistake (milliseconds, say), not patience
MAX_RETRIES = 10  # each waits twice as long as the one before: 1 s backoff, 8.5 min at the 10th
MAX_BACKOFF = 60  # seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationSchema(_Strict):
    name: str
    contact: str | None = None
    email: str | None = None
    website: str | None = None


class SettingsSchema(_Strict):
    govuk_base_url: str | None = None
    timeout: Number | None = Field(None, gt=0, le=MAX_TIMEOUT)
    max_response_mb: Number | None = Field(None, gt=0)
    per_host: int | None = Field(None, ge=1)
    host_delay: Number | None = Field(None, ge=0)
    retries: int | None = Field(None, ge=0, le=MAX_RETRIES)
    retry_backoff: Number | None = Field(None, ge=0, le=MAX_BACKOFF)
    max_retry_after: Number | None = Field(None, ge=0)
    robots: bool | None = None
    workers: int | None = Field(None, ge=1)
    processes: int | None = Field(None, ge=1)
    templates: str | None = None
    mi_types: list[str] | None = None
    site_url: str | None = None
    alerts_to: str | None = None
    alerts_via: str | None = None
    flag_after_failures: int | None = Field(None, ge=1)
    flag_quiet_days: int | None = Field(None, ge=1)
    four_eyes: bool | None = None
    lock_warn_after: Number | None = Field(None, gt=0)
    reminder_days: int | None = Field(None, ge=1, le=30)
    school_alerts: bool | None = None


class SmtpSchema(_Strict):
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    security: str | None = Field(None, pattern="^(starttls|ssl|none)$")
    timeout: Number | None = Field(None, gt=0, le=MAX_TIMEOUT)


class NotifySchema(_Strict):
    template_id: str | None = None
    base_url: str | None = None
    timeout: Number | None = Field(None, gt=0, le=MAX_TIMEOUT)


class DeliverySchema(_Strict):
    via: str | None = None
    rate: Number | None = Field(None, ge=0)
    connections: int | None = Field(None, ge=1, le=32)
    retries: int | None = Field(None, ge=0, le=MAX_RETRIES)
    retry_backoff: Number | None = Field(None, ge=0, le=MAX_BACKOFF)
    reply_to: str | None = None
    list_id: str | None = None
    unsubscribe_url: str | None = None
    unsubscribe_mailto: str | None = None
    smtp: SmtpSchema | None = None
    notify: NotifySchema | None = None


class SectionSchema(_Strict):
    title: str
    sources: Names | None = None
    tags: Names | None = None
    audiences: Names | None = None


class BulletinSchema(_Strict):
    sections: list[SectionSchema] = []


class SourceSchema(_Strict):
    id: str
    kind: str
    url: str | None = None
    title: str | None = None
    audiences: Names | None = None
    statutory: bool = False


class ConfigSchema(_Strict):
    organisation: OrganisationSchema
    audiences: dict[str, str] = {}
    sources: list[dict[str, Any]]
    settings: SettingsSchema | None = None
    bulletin: BulletinSchema | None = None
    delivery: DeliverySchema | None = None


class AddedEntrySchema(_Strict):
    title: str
    url: str | None = None
    summary: str | None = None
    section: str | None = None
    source: str | None = None
    label: str | None = None


class EditorialSchema(_Strict):
    intro: str | None = None
    order: list[str] = []
    drop: list[str] = []
    add: list[AddedEntrySchema] = []


def editorial_problems(data: Any) -> list[tuple[tuple, str]]:
    """Every problem of shape in a bulletin's editorial file."""
    return _check(EditorialSchema, data if data is not None else {}, ())


def unknown_key_problems(data: Mapping, known: Iterable[str]) -> list[tuple[tuple, str]]:
    """Keys of ``data`` outside ``known``, each said as feeds.yaml's are (with the key
    meant): an MI sheet's front matter, say."""
    return _check(_only_keys(tuple(known)), data, ())


@functools.cache
def _only_keys(known: tuple[str, ...]) -> type[BaseModel]:
    return create_model("Fields", __base__=_Strict, **{name: (Any, None) for name in known})


def problems(data: Mapping, kinds: Mapping[str, SourceKind]) -> list[tuple[tuple, str]]:
    """Every problem of shape in ``data``: (path of keys, message), first problem first."""
    found = _check(ConfigSchema, data, ())
    if found:
        return found
    for index, source in enumerate(data.get("sources") or ()):
        kind = kinds.get(source.get("kind")) if isinstance(source, Mapping) else None
        found += _check(_source_schema(kind), source, ("sources", index))
    return found


def _source_schema(kind: SourceKind | None) -> type[BaseModel]:
    options = dict(getattr(kind, "options", None) or {})
    if not options:
        return SourceSchema
    fields = {name: (kind_type | None, None) for name, kind_type in options.items()}
    return create_model(f"{kind.name.title()}Source", __base__=SourceSchema, **fields)


def _check(schema: type[BaseModel], data: Any, prefix: tuple) -> list[tuple[tuple, str]]:
    try:
        schema.model_validate(data)
    except ValidationError as error:
        return [
            (prefix + tuple(problem["loc"]), _message(schema, problem, prefix))
            for problem in error.errors()
        ]
    return []


# A value shown in an error: cut while it is written, not after (it may be huge).
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 2, 4, 4, 60


def _message(schema: type[BaseModel], problem: dict, prefix: tuple) -> str:
    key = str(problem["loc"][-1]) if problem["loc"] else ""
    location = prefix + tuple(problem["loc"])
    if problem["type"] == "extra_forbidden":
        known = _fields_at(schema, tuple(problem["loc"])[:-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
        return f"unknown key '{key}'{hint}"
    if problem["type"] == "missing":
        if len(location) == 1:
            return f"no '{key}' in the file"
        owner = {"sources": "source", "bulletin": "bulletin section"}.get(
            str(location[0]), str(location[0])
        )
        return f"{owner} has no {key}"
    names = [str(part) for part in location if not isinstance(part, int)]
    where = ".".join(names[1:] if names[:1] == ["sources"] else names) or "the file"
    value = problem.get("input")
    return f"{where}: {problem['msg'].lower()} (got {_shown(value)}){_hint(problem, value)}"


def _shown(value: object) -> str:
    """A wrong value as a person wrote it: a date as 2024-02-29, never datetime.date(...)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return f"{_SHORT.repr(value):.60}"


def _hint(problem: dict, value: object) -> str:
    """What to do when YAML read text as something else (12:30 is 750, no is false)."""
    if problem["type"] == "string_type" and isinstance(value, bool | int | float | date):
        return ": put it in quotes to keep it as text"
    return ""


def _fields_at(schema: type[BaseModel], location: tuple) -> list[str]:
    """The field names of the model found by following ``location`` from ``schema``."""
    model = schema
    for part in location:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for candidate in candidates:
            inner = getattr(candidate, "__args__", (candidate,))
            nested = next(
                (c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None
            )
            if nested is not None:
                model = nested
                break
        else:
            return []
    return sorted(model.model_fields)
