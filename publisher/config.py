"""Read and validate feeds.yaml, keeping line numbers for error messages."""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.http import HttpPolicy
from publisher.urls import DEFAULT_GOVUK_BASE_URL
from publisher.yaml_files import LinedDict, YamlError, line_of, load_yaml

if TYPE_CHECKING:
    from publisher.sources import SourceKind

DEFAULT_MI_TYPES = ("Action", "Information")
DEFAULT_SITE_URL = "http://localhost:8000/"
CORES = os.cpu_count() or 1
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ConfigError(YamlError):
    """A problem in feeds.yaml, located by line."""


@dataclass(frozen=True)
class Organisation:
    name: str
    contact: str
    email: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    id: str
    kind: str
    url: str | None
    title: str
    audiences: tuple[str, ...] = ()
    statutory: bool = False
    options: dict = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True)
class BulletinSection:
    """A section of the monthly bulletin: items from these sources or with these tags."""

    title: str
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()  # empty: every audience


@dataclass(frozen=True)
class Settings:
    govuk_base_url: str = DEFAULT_GOVUK_BASE_URL
    http: HttpPolicy = HttpPolicy()
    workers: int = 8
    # Processes a big fetch is shared across (publisher.fetch_pool); one a core unless set.
    processes: int = CORES
    templates: Path | None = None
    mi_types: tuple[str, ...] = DEFAULT_MI_TYPES
    site_url: str = DEFAULT_SITE_URL
    alerts_to: str | None = None
    alerts_via: str = "outbox"
    flag_after_failures: int = 24
    flag_quiet_days: int = 60
    # An approver may not approve their own draft (a one-person team sets this false).
    four_eyes: bool = True
    # check warns when another check has held the lock for longer than this (seconds).
    lock_warn_after: float = 3600.0
    # `send --reminders`: schools that have not confirmed an ACTION sheet are reminded
    # this many working days before its deadline (and once the day after it).
    reminder_days: int = 2
    # `check` tells immediate subscribers of statutory changes to their audiences' sources.
    school_alerts: bool = True


@dataclass(frozen=True)
class Config:
    path: Path
    organisation: Organisation
    audiences: dict[str, str]
    sources: tuple[SourceConfig, ...]
    settings: Settings = Settings()
    bulletin_sections: tuple[BulletinSection, ...] = ()
    delivery: dict = field(default_factory=dict)  # read by the deliverers: via, rate, smtp, ...


def load_config(
    path: Path | str, source_kinds: Mapping[str, SourceKind], checked_in: Path | None = None
) -> Config:
    """Parse and validate a feeds.yaml file against the source kinds plugins registered.

    Raises ``ConfigError`` naming the file and line of the first problem. With
    ``checked_in`` (an existing data folder), a file that passed the schema before, with
    the same plugins' options, skips the schema (pydantic's import and models take most of
    a quick command's start-up); every other check runs each time.
    """
    path = Path(path)
    text = _read(path)
    data = load_yaml(text, path)
    if not isinstance(data, dict):
        raise ConfigError(
            path, 1, "expected a mapping with 'organisation', 'audiences' and 'sources'"
        )
    _refuse_secrets(path, data)
    fingerprint = _schema_fingerprint(text, source_kinds)
    marker = checked_in / SCHEMA_CHECKED if checked_in and checked_in.is_dir() else None
    already_checked = marker is not None and _read_marker(marker) == fingerprint
    if not already_checked:
        from publisher import config_schema

        for keys, message in config_schema.problems(data, source_kinds)[:1]:
            raise ConfigError(path, line_of(data, keys), message)
    config = _Validator(path, data, source_kinds).config()
    if marker is not None and not already_checked:
        with contextlib.suppress(OSError):  # a read-only data folder: check each time
            marker.write_text(fingerprint, encoding="ascii")
    return config


SCHEMA_CHECKED = "config-checked"


def _schema_fingerprint(text: str, source_kinds: Mapping[str, SourceKind]) -> str:
    from publisher import __version__

    options = sorted((name, sorted(kind.options)) for name, kind in source_kinds.items())
    return hashlib.sha256(f"{__version__}\n{options}\n{text}".encode()).hexdigest()


def _read_marker(marker: Path) -> str | None:
    try:
        return marker.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _read(path: Path) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), UTF-16 with its mark, or
    Windows-1252 as Notepad saves it; anything else is one clear error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            path, None, "no such file (run 'publisher init' to write a starter config)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(path, None, "is a folder: give the feeds.yaml file inside it") from None
    except OSError as error:
        raise ConfigError(path, None, f"cannot be read: {error.strerror}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(path, None, "is not text: save it as UTF-8")


_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_]?key|credential|private[-_]?key", re.IGNORECASE
)


def _refuse_secrets(path: Path, data) -> None:
    """Secrets go in environment variables, never in feeds.yaml: refuse any key that looks
    like one, anywhere, and any URL with a user name or password in it."""
    for mapping in _mappings(data):
        for key, value in mapping.items():
            line = mapping.key_lines.get(key, mapping.line)
            if _SECRET_KEY.search(str(key)) and not isinstance(value, dict | list):
                raise ConfigError(
                    path,
                    line,
                    f"'{key}' looks like a secret: put it in an environment variable, not in "
                    "feeds.yaml (see README: Delivery)",
                )
            if isinstance(value, str) and re.match(r"^\w+://[^/@\s]+@", value.strip()):
                raise ConfigError(
                    path,
                    line,
                    f"'{key}' has a user name or password in its URL: remove it (feeds.yaml "
                    "is no place for credentials)",
                )


def _mappings(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _mappings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mappings(item)


class _Validator:
    def __init__(self, path: Path, data: LinedDict, kinds: Mapping[str, SourceKind]):
        self.path, self.data, self.kinds = path, data, kinds

    def fail(self, mapping, message: str, key: str | None = None):
        line = getattr(mapping, "line", None)
        if key is not None and key in getattr(mapping, "key_lines", {}):
            line = mapping.key_lines[key]
        raise ConfigError(self.path, line, message)

    def config(self) -> Config:
        settings = self.settings(self.data.get("settings") or LinedDict())
        sources = self.sources()
        return Config(
            path=self.path,
            organisation=self.organisation(),
            audiences=self.audiences(),
            sources=sources,
            settings=settings,
            bulletin_sections=self.bulletin_sections({source.id for source in sources}),
            delivery=self.delivery(),
        )

    def delivery(self) -> dict:
        delivery = self.data.get("delivery") or LinedDict()
        if delivery.get("via"):
            self.deliverer(delivery, "via", "delivery.via")
        return dict(delivery)

    def deliverer(self, mapping, key: str, name: str) -> str:
        """A deliverer named in feeds.yaml, checked against the loaded plugins now, so a
        typo fails at once rather than on the day a statutory change arrives."""
        from publisher.deliver import deliverers  # the deliverers read Config: import late

        value = str(mapping.get(key))
        known = sorted(deliverers())
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.fail(
                mapping,
                f"{name} '{value}' is no deliverer ({hint}known: {', '.join(known)})",
                key=key,
            )
        return value

    def bulletin_sections(self, source_ids: set[str]) -> tuple[BulletinSection, ...]:
        bulletin = self.data.get("bulletin") or LinedDict()
        entries = bulletin.get("sections") or []
        if not isinstance(bulletin, dict) or not isinstance(entries, list):
            self.fail(self.data, "'bulletin' needs a list of 'sections'", key="bulletin")
        sections = []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("title"):
                self.fail(bulletin, "each bulletin section needs a title", key="sections")
            title = str(entry["title"])
            listed = {key: _strings(entry.get(key)) for key in ("sources", "tags", "audiences")}
            for source_id in listed["sources"]:
                if source_id not in source_ids:
                    self.fail(
                        entry,
                        f"bulletin section '{title}' names unknown source '{source_id}'",
                        key="sources",
                    )
            for audience in listed["audiences"]:
                if audience not in self.audiences():
                    self.fail(
                        entry,
                        f"bulletin section '{title}' names unknown audience '{audience}'",
                        key="audiences",
                    )
            sections.append(BulletinSection(title=title, **listed))
        return tuple(sections)

    def organisation(self) -> Organisation:
        org = self.data.get("organisation")
        if not isinstance(org, dict) or not org.get("name"):
            self.fail(self.data, "'organisation' needs at least a name", key="organisation")
        return Organisation(
            name=str(org["name"]),
            contact=str(org.get("contact") or org["name"]),
            email=org.get("email"),
            website=org.get("website"),
        )

    def audiences(self) -> dict[str, str]:
        audiences = self.data.get("audiences") or {}
        if not isinstance(audiences, dict):
            self.fail(self.data, "'audiences' must map an id to a name", key="audiences")
        for audience in audiences:
            if not SOURCE_ID.match(str(audience)):
                self.fail(
                    audiences,
                    f"audience id '{audience}' may hold only a-z, 0-9, - and _ "
                    "(it names folders and files)",
                    key=audience,
                )
        return {str(key): str(name) for key, name in audiences.items()}

    def settings(self, settings: LinedDict) -> Settings:
        templates = settings.get("templates")
        mi_types = settings.get("mi_types") or DEFAULT_MI_TYPES
        number = functools.partial(self.number, settings)
        default = HttpPolicy()
        http = HttpPolicy(
            timeout=number("timeout", default.timeout, "a number of seconds"),
            max_bytes=int(number("max_response_mb", 20, "a number of megabytes") * 1024 * 1024),
            per_host=int(number("per_host", default.per_host, "a whole number, 1 or more", 1)),
            host_delay=number("host_delay", default.host_delay, "a number of seconds", 0),
            retries=int(number("retries", default.retries, "a whole number", 0)),
            backoff=number("retry_backoff", default.backoff, "a number of seconds", 0),
            max_retry_after=number("max_retry_after", default.max_retry_after, "seconds", 0),
            respect_robots=bool(settings.get("robots", True)),
        )
        return Settings(
            govuk_base_url=str(settings.get("govuk_base_url", DEFAULT_GOVUK_BASE_URL)).rstrip("/"),
            http=http,
            workers=int(number("workers", Settings.workers, "a whole number, 1 or more", 1)),
            processes=int(number("processes", CORES, "a whole number, 1 or more", 1)),
            templates=(self.path.parent / templates) if templates else None,
            mi_types=tuple(str(name) for name in mi_types),
            site_url=str(settings.get("site_url", DEFAULT_SITE_URL)),
            alerts_to=settings.get("alerts_to")
            or (self.data.get("organisation") or {}).get("email"),
            alerts_via=self.deliverer(settings, "alerts_via", "settings.alerts_via")
            if settings.get("alerts_via")
            else "outbox",
            flag_after_failures=int(
                number("flag_after_failures", Settings.flag_after_failures, "a whole number", 1)
            ),
            flag_quiet_days=int(
                number("flag_quiet_days", Settings.flag_quiet_days, "a number of days", 1)
            ),
            four_eyes=bool(settings.get("four_eyes", True)),
            lock_warn_after=number("lock_warn_after", Settings.lock_warn_after, "seconds", 1),
            school_alerts=bool(settings.get("school_alerts", True)),
            reminder_days=int(
                number("reminder_days", Settings.reminder_days, "a number of working days", 1)
            ),
        )

    def number(
        self, settings: LinedDict, key: str, default: float, what: str, minimum: float = 0.001
    ) -> float:
        try:
            value = float(settings.get(key, default))
        except (TypeError, ValueError):
            value = minimum - 1
        if value < minimum:
            self.fail(settings, f"settings.{key} must be {what}", key=key)
        return value

    def sources(self) -> tuple[SourceConfig, ...]:
        entries = self.data.get("sources")
        if not isinstance(entries, list) or not entries:
            self.fail(self.data, "'sources' must be a list with at least one source", key="sources")
        audiences = self.audiences()
        seen: dict[str, int] = {}
        return tuple(self.source(entry, audiences, seen) for entry in entries)

    def source(self, entry, audiences: dict[str, str], seen: dict[str, int]) -> SourceConfig:
        if not isinstance(entry, dict):
            self.fail(
                self.data, "each source must be a mapping with id, kind and url", key="sources"
            )
        source_id = entry.get("id")
        if not source_id:
            self.fail(entry, "source has no id")
        source_id = str(source_id)
        if not SOURCE_ID.match(source_id):
            self.fail(entry, f"source id '{source_id}' may hold only a-z, 0-9, - and _", key="id")
        if source_id in seen:
            self.fail(
                entry,
                f"duplicate source id '{source_id}' (first used on line {seen[source_id]})",
                key="id",
            )
        seen[source_id] = entry.line
        kind = entry.get("kind")
        if kind not in self.kinds:
            known = ", ".join(sorted(self.kinds))
            self.fail(
                entry,
                f"source '{source_id}' has unknown kind '{kind}' (known: {known})",
                key="kind" if kind else None,
            )
        url = entry.get("url")
        if self.kinds[kind].needs_url and not url:
            self.fail(entry, f"source '{source_id}' has no url")
        web_address = re.match(r"^https?://[^/\s]", str(url or ""), re.IGNORECASE)
        a_path = self.kinds[kind].url_may_be_path and str(url or "").startswith("/")
        if url and not (web_address or a_path):
            self.fail(entry, f"url '{url}' has no https:// (give the whole address)", key="url")
        source_audiences = entry.get("audiences") or ()
        if isinstance(source_audiences, str):
            source_audiences = (source_audiences,)
        for audience in source_audiences:
            if audience not in audiences:
                known = ", ".join(audiences) or "none defined"
                self.fail(
                    entry,
                    f"source '{source_id}' names unknown audience '{audience}' (known: {known})",
                    key="audiences",
                )
        known_keys = {"id", "kind", "url", "title", "audiences", "statutory"}
        return SourceConfig(
            id=source_id,
            kind=kind,
            url=str(url) if url else None,
            title=str(entry.get("title") or source_id),
            audiences=tuple(source_audiences),
            statutory=bool(entry.get("statutory", False)),
            options={key: value for key, value in entry.items() if key not in known_keys},
            line=entry.line,
        )


def _strings(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(entry) for entry in value) if isinstance(value, list) else (str(value),)
