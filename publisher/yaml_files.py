"""YAML that people write: feeds.yaml, a bulletin's editorial, an MI sheet's front matter.

Every mapping remembers its line and its keys' lines (``line_of``), so a problem is said by
line. Refused, each by line, rather than read silently or worked on without end: a key
given twice, a date no calendar holds, nesting deeper than any file of ours needs, an alias
inside its own anchor, aliases standing for millions of values. Two loaders share all of it:
``load_yaml`` reads YAML's own types (feeds.yaml), ``load_text_yaml`` reads every value as
the text typed (files whose fields are all text), refusing what YAML would drop from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from publisher.errors import InputError

MAX_NESTING = 20  # a feeds.yaml needs five or six levels
MAX_VALUES = 1_000_000  # a feeds.yaml of 10,000 sources holds about 80,000


class YamlError(InputError):
    """A problem in a YAML file, located by line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path} line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class LinedDict(dict):
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
        if self.peek() == "#" and self._would_go_on(token):
            comment = _LINE_END.split(self.buffer[self.pointer :], maxsplit=1)[0].rstrip()
            raise _Refused(
                problem=f"'{comment}' would be dropped as a YAML comment: put the value in "
                "quotes to keep it",
                problem_mark=self.get_mark(),
            )
        return token

    def _would_go_on(self, token: yaml.ScalarToken) -> bool:
        """Whether the comment ahead stands where the value would go on: on its last line,
        or on a later line indented past the mapping's keys (or inside brackets), as in
        'intro: the' then '  #2 issue'. A comment line at the keys' indentation is not."""
        return (
            self.line == token.end_mark.line or bool(self.flow_level) or self.column > self.indent
        )

    def compose_scalar_node(self, anchor: str | None) -> yaml.ScalarNode:
        event = self.peek_event()
        if event.tag is not None:  # named as typed ('!!str', not its URI), maybe after '&a'
            tag = _TAG.search(event.start_mark.buffer, event.start_mark.pointer).group()
            _refuse_dropped(f"'{tag}'", "tag", event.start_mark)
        if anchor is not None and event.style is None:  # 'title: &Co review' would be 'review'
            _refuse_dropped(f"'&{anchor}'", "anchor", event.start_mark)
        return super().compose_scalar_node(anchor)


def _refuse_dropped(typed: str, what: str, mark: yaml.Mark) -> None:
    raise _Refused(
        problem=f"{typed} would be dropped as a YAML {what}: put the value in quotes to keep it",
        problem_mark=mark,
    )


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
    mapping = LinedDict()
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


def load_yaml(text: str, path: Path | str):
    """YAML whose mappings remember their lines (see ``line_of``); a syntax error, a key
    given twice, or a structure no file of ours needs (see ``_refuse_runaway_structure``),
    is a ``YamlError`` naming the file and line."""
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
        raise YamlError(path, error.problem_mark.line + 1, error.problem) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = f"YAML syntax error: {error.problem}{loader.syntax_hint}"
        raise YamlError(path, line, problem) from None
    except yaml.YAMLError as error:
        raise YamlError(path, None, f"YAML syntax error: {error}") from None
    except RecursionError:
        raise YamlError(path, None, "nested too deeply to read") from None
    except Exception as error:  # noqa: BLE001 - PyYAML's own slips we have not met yet
        raise YamlError(path, None, f"YAML that cannot be read: {error!r:.200}") from None


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
            raise YamlError(path, line, "an alias (*name) is used inside its own anchor")
        if id(value) not in measured:
            if depth > MAX_NESTING:
                raise YamlError(path, line, f"nested more than {MAX_NESTING} levels deep")
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
            raise YamlError(path, line, f"nested more than {MAX_NESTING} levels deep")
        if values > MAX_VALUES:
            raise YamlError(
                path, line, f"stands for more than {MAX_VALUES:,} values (aliases repeat theirs)"
            )
        return values, levels

    measure(data, 1, 1, frozenset())


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
