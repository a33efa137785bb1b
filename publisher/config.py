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

import yaml

from publisher.errors import InputError
from publisher.http import HttpPolicy
from publisher.urls import DEFAULT_GOVUK_BASE_URL

if TYPE_CHECKING:
    from publisher.sources import SourceKind

DEFAULT_MI_TYPES = ("Action", "Information")
DEFAULT_SITE_URL = "http://localhost:8000/"
CORES = os.cpu_count() or 1
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ConfigError(InputError):
    """A problem in the configuration file, located by line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path} line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")


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


class _Mapping(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int
    key_lines: dict


class _Merging:
    """What a loader remembers of merge keys ('<<: *name'): the mappings merged into, so
    each is checked and merged once, and how many keys merging has copied so far."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.merged: dict[yaml.Node, bool] = {}  # False while its own merges are read
        self.keys_merged = 0


class _LineLoader(_Merging, yaml.SafeLoader):
    """feeds.yaml: YAML's own types (numbers, true/false, dates), mappings with lines."""

    syntax_hint = ""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        _merge_keys(self, node)  # also for '!!set', which does not pass _construct_mapping
        super().flatten_mapping(node)  # left to do: '=' keys as text


class _TextLineLoader(_Merging, yaml.BaseLoader):
    """Files whose fields are all text (front matter, editorial): every scalar is the text
    typed ('12:30', 'no', '2024-02-30'), except an empty value or null, which is None.
    What YAML would drop from a value typed (' #' and what follows, a '!tag') is refused."""

    syntax_hint = " (put the value in quotes if it is text)"

    def scan_plain(self) -> yaml.ScalarToken:
        token = super().scan_plain()
        if self.peek() == "#" and self.line == token.end_mark.line:
            comment = _LINE_END.split(self.buffer[self.pointer :], maxsplit=1)[0].rstrip()
            raise _Refused(
                problem=f"'{comment}' would be dropped as a YAML comment: put the value in "
                "quotes to keep it",
                problem_mark=self.get_mark(),
            )
        return token

    def compose_scalar_node(self, anchor: str | None) -> yaml.ScalarNode:
        event = self.peek_event()
        if event.tag is not None:  # named as typed ('!!str', not its URI), maybe after '&a'
            tag = _TAG.search(event.start_mark.buffer, event.start_mark.pointer).group()
            raise _Refused(
                problem=f"'{tag}' would be dropped as a YAML tag: put the value in quotes "
                "to keep it",
                problem_mark=event.start_mark,
            )
        return super().compose_scalar_node(anchor)


class _Refused(yaml.MarkedYAMLError):
    """What a file may not hold, said at its line: a date no calendar holds ('due:
    2024-02-30'), a key given twice."""


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_LINE_END = re.compile("[\0\r\n\x85\u2028\u2029]")
_TAG = re.compile(r"!\S*")


_DATES = yaml.constructor.SafeConstructor()  # reads timestamps for both loaders


def _construct_timestamp(loader: yaml.BaseLoader, node: yaml.Node, key: str = ""):
    try:
        return _DATES.construct_yaml_timestamp(node)
    except (ValueError, TypeError, AttributeError) as error:  # '!!timestamp soon': no match
        reason = f" ({error})" if isinstance(error, ValueError) else ""
        named = f"{key} " if key else ""
        raise _Refused(
            problem=f"{named}'{node.value}' is not a date{reason}: write a real date, like "
            "12/01/2024 (or put it in quotes if it is text)",
            problem_mark=node.start_mark,
        ) from None


def _construct_mapping(loader: yaml.BaseLoader, node: yaml.Node):
    if not isinstance(node, yaml.MappingNode):  # '!!map' on a scalar or a list
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a mapping, but found a {node.id}", node.start_mark
        )
    _merge_keys(loader, node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {  # a list or mapping as a key is refused by construct_mapping
        loader.construct_object(key): key.start_mark.line + 1  # merged: where it was typed
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    yield mapping  # yield first so recursive structures resolve, as PyYAML's own does
    for key, value in node.value:  # a date that is no date, named by its key
        if value.tag == _TIMESTAMP and isinstance(key, yaml.ScalarNode):
            _construct_timestamp(loader, value, key.value)
    mapping.update(loader.construct_mapping(node))


def _merge_keys(loader: _Merging, node: yaml.MappingNode) -> None:
    """Check the keys of ``node`` as typed, then put the keys merged in with '<<: *name'
    before its own, in one order for every file: its own keys win; then, as YAML's merge
    key says and PyYAML long did, the first mapping of a list ('<<: [*a, *b]': a's); then
    a later '<<' line over an earlier one. (PyYAML 6.0.4's own lets the later mapping of a
    list win, unless the key is one character long.) Merges of merges copying more keys
    than any file of ours needs are refused before they are made."""
    if loader.merged.get(node) is False:
        raise _Refused(
            problem="an alias (*name) is used inside its own anchor", problem_mark=node.start_mark
        )
    if node in loader.merged:
        return
    loader.merged[node] = False
    _refuse_keys_alike(loader, node)
    merged, own = [], []
    for key, value in node.value:
        if key.tag != _MERGE:
            own.append((key, value))
            continue
        merging = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in merging:
            if not isinstance(source, yaml.MappingNode):
                raise _Refused(
                    problem="'<<' merges a mapping or a list of mappings ('<<: *name'): "
                    f"give it one, not a {source.id}",
                    problem_mark=source.start_mark,
                )
            _merge_keys(loader, source)
        loader.keys_merged += sum(len(source.value) for source in merging)
        if loader.keys_merged > MAX_VALUES:
            raise _Refused(
                problem=f"merges more than {MAX_VALUES:,} keys (aliases repeat theirs)",
                problem_mark=key.start_mark,
            )
        merged += [pair for source in reversed(merging) for pair in source.value]
    node.value = merged + own  # made into a mapping in order: a later key replaces one before
    loader.merged[node] = True


def _refuse_keys_alike(loader: yaml.BaseLoader, node: yaml.MappingNode) -> None:
    """A key given twice is refused with both lines (YAML would keep the last silently), as
    is a key read as the same as another of another type ('true' and '1': Python keeps one),
    and a null key. Keys merged in with '<<: *name' may be overridden: that is what merging
    is for."""
    first: dict = {}  # key: (that key, its node, its line)
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue
        key = loader.construct_object(key_node)  # 'yes' and 'on' are one key in feeds.yaml
        line = key_node.start_mark.line + 1
        if key is None:
            typed = key_node.value
            problem = f"key '{typed}' is null: write a name, or put it in quotes"
            raise _Refused(
                problem=problem if typed else "a key is empty: write a name",
                problem_mark=key_node.start_mark,
            )
        if key in first:
            earlier, earlier_node, earlier_line = first[key]
            raise _Refused(
                problem=f"duplicate key '{key_node.value}' (first on line {earlier_line})"
                if type(earlier) is type(key)
                else f"key '{key_node.value}' is read as the same key as "
                f"'{earlier_node.value}' (line {earlier_line}): put them in quotes to keep "
                "them apart",
                problem_mark=key_node.start_mark,
            )
        first[key] = key, key_node, line


def _construct_null(loader: yaml.BaseLoader, node: yaml.Node) -> None:
    loader.construct_scalar(node)  # '!!null {a: 1}' is refused, not emptied


def _construct_tagged(loader: yaml.BaseLoader, node: yaml.Node):
    """Text files: a list or mapping under a tag of its own ('!!omap', '!x') is read, and
    checked, as one without (a tag on a value typed is refused as it is read)."""
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    return yaml.SafeLoader.construct_yaml_seq(loader, node)


for _loader in (_LineLoader, _TextLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(_TIMESTAMP, _construct_timestamp)
# Lists are made before their items, as SafeLoader's are, so '&s [*s]' is found by
# _refuse_runaway_structure rather than stopping PyYAML.
_TextLineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, yaml.SafeLoader.construct_yaml_seq
)
_TextLineLoader.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_TextLineLoader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])
_TextLineLoader.add_constructor(_NULL, _construct_null)
for _text_tag in (_STR, _MERGE):  # '<<' where it merges nothing ('title: <<') is text
    _TextLineLoader.add_constructor(_text_tag, yaml.BaseLoader.construct_scalar)
_TextLineLoader.add_constructor(None, _construct_tagged)


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


def load_yaml(text: str, path: Path | str):
    """YAML whose mappings remember their lines (see ``line_of``); a syntax error, a key
    given twice, or a structure no file of ours needs (see ``_refuse_runaway_structure``),
    is a ``ConfigError`` naming the file and line."""
    return _loaded(text, path, _LineLoader)


def load_text_yaml(text: str, path: Path | str):
    """As ``load_yaml``, for a file whose fields are all text: every scalar is the text
    typed, never a number, true/false or date by YAML's rules ('12:30' is not 750, 'no'
    not False); an empty value or null is None."""
    return _loaded(text, path, _TextLineLoader)


def _loaded(text: str, path: Path | str, loader: type[yaml.BaseLoader]):
    data = _parsed_yaml(text, path, loader)
    _refuse_runaway_structure(path, data)
    return data


def _parsed_yaml(text: str, path: Path | str, loader: type[yaml.BaseLoader]):
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader or BaseLoader
    except _Refused as error:
        raise ConfigError(path, error.problem_mark.line + 1, error.problem) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = f"YAML syntax error: {error.problem}{loader.syntax_hint}"
        raise ConfigError(path, line, problem) from None
    except yaml.YAMLError as error:
        raise ConfigError(path, None, f"YAML syntax error: {error}") from None
    except RecursionError:
        raise ConfigError(path, None, "nested too deeply to read") from None
    except Exception as error:  # noqa: BLE001 - PyYAML's own slips we have not met yet
        raise ConfigError(path, None, f"YAML that cannot be read: {error!r:.200}") from None


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


MAX_NESTING = 20  # a feeds.yaml needs five or six levels
MAX_VALUES = 1_000_000  # a feeds.yaml of 10,000 sources holds about 80,000


def holds_values(value: object) -> bool:
    """Whether a value read from YAML holds others: a list or mapping, or the tuples and
    sets that tags such as !!pairs and !!set make."""
    return isinstance(value, dict | list | tuple | set)


def _refuse_runaway_structure(path: Path | str, data: object) -> None:
    """Refuse what would send the checks after this one into endless work: nesting deeper
    than any file of ours needs, an alias (*name) inside its own anchor (&name), or aliases
    repeating lists of aliases until the file stands for millions of values."""
    measured: dict[int, tuple[int, int]] = {}  # values and levels, once a list or mapping

    def measure(value: object, depth: int, line: int, ancestors: frozenset[int]):
        if not holds_values(value):
            return 1, 0
        line = getattr(value, "line", line)
        if id(value) in ancestors:
            raise ConfigError(path, line, "an alias (*name) is used inside its own anchor")
        if id(value) not in measured:
            if depth > MAX_NESTING:
                raise ConfigError(path, line, f"nested more than {MAX_NESTING} levels deep")
            lines = getattr(value, "key_lines", {})
            children = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            inside = ancestors | {id(value)}
            values, levels = 1, 1
            for key, child in children:
                more, below = measure(child, depth + 1, lines.get(key, line), inside)
                values, levels = values + more, max(levels, below + 1)
            measured[id(value)] = values, levels
        values, levels = measured[id(value)]
        if depth + levels - 1 > MAX_NESTING:  # an alias to something deep, used deep down
            raise ConfigError(path, line, f"nested more than {MAX_NESTING} levels deep")
        if values > MAX_VALUES:
            raise ConfigError(
                path, line, f"stands for more than {MAX_VALUES:,} values (aliases repeat theirs)"
            )
        return values, levels

    measure(data, 1, 1, frozenset())


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


def line_of(data, keys: tuple) -> int | None:
    """The line of the deepest key of ``keys`` that the file has."""
    line, node = getattr(data, "line", None), data
    for key in keys:
        if isinstance(node, dict) and key in node:
            line = getattr(node, "key_lines", {}).get(key, line)
            node = node[key]
            line = getattr(node, "line", None) if isinstance(key, int) else line
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            line = getattr(node, "line", line)
        else:
            break
    return line


class _Validator:
    def __init__(self, path: Path, data: _Mapping, kinds: Mapping[str, SourceKind]):
        self.path, self.data, self.kinds = path, data, kinds

    def fail(self, mapping, message: str, key: str | None = None):
        line = getattr(mapping, "line", None)
        if key is not None and key in getattr(mapping, "key_lines", {}):
            line = mapping.key_lines[key]
        raise ConfigError(self.path, line, message)

    def config(self) -> Config:
        settings = self.settings(self.data.get("settings") or _Mapping())
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
        delivery = self.data.get("delivery") or _Mapping()
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
        bulletin = self.data.get("bulletin") or _Mapping()
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

    def settings(self, settings: _Mapping) -> Settings:
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
        self, settings: _Mapping, key: str, default: float, what: str, minimum: float = 0.001
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
