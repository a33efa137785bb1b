"""A comparison for people: terminal text, an edition summary in markdown, HTML pages, and
the "Paragraph 79 (page 26): new wording" quotes that MI sheets and bulletins use."""

from __future__ import annotations

from publisher.comparison import Change, Comparison
from publisher.comparison.crosscheck import CrossCheck
from publisher.text import plural, shorten

KIND_LABELS = {"changed": "Changed", "added": "Added", "removed": "Removed", "moved": "Moved"}


def place(block) -> str:
    """'Paragraph 48 (page 26)', 'Page 161', 'Paragraph 48' (HTML), or the heading."""
    if block.paragraph and block.page:
        return f"Paragraph {block.paragraph} (page {block.page})"
    if block.paragraph:
        return f"Paragraph {block.paragraph}"
    if block.page:
        return f"Page {block.page}"
    return block.heading or "Before the first heading"


def quote(change: Change, limit: int = 600) -> str:
    """A change as an MI sheet or bulletin quotes it: where, then the new wording."""
    if change.kind == "removed":
        return (
            f"{place(change.old)}: removed (it read: \u201c{shorten(change.old.text, limit)}\u201d)"
        )
    return f"{place(change.new)}: {shorten(change.new.text, limit)}"


def renumbered_runs(renumbered: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """Renumbering in runs: (old first, old last, new first, new last) where each number
    in the run moved by the same amount."""
    runs: list[list] = []
    for old, new in renumbered:
        if not (old.isdigit() and new.isdigit()):
            runs.append([old, old, new, new])
            continue
        last = runs[-1] if runs else None
        if (
            last
            and last[1].isdigit()
            and int(old) == int(last[1]) + 1
            and int(new) - int(old) == int(last[3]) - int(last[1])
        ):
            last[1], last[3] = old, new
        else:
            runs.append([old, old, new, new])
    return [tuple(run) for run in runs]


def run_label(run: tuple[str, str, str, str]) -> str:
    old_first, old_last, new_first, new_last = run
    if old_first == old_last:
        return f"paragraph {old_first} is now {new_first}"
    return f"paragraphs {old_first}-{old_last} are now {new_first}-{new_last}"


def as_text(comparison: Comparison, cross: CrossCheck | None = None) -> str:
    old, new = comparison.old, comparison.new
    lines = [
        f"Comparing {old['name']} ({_size(old)}) with {new['name']} ({_size(new)})",
        _counts(comparison),
        "",
    ]
    for change in comparison.changes:
        lines.append(f"{KIND_LABELS[change.kind].upper()}  {_where(change)}")
        if change.block.heading:
            lines.append(f"  under: {change.block.heading}")
        if change.diff:
            lines.append("  " + _inline_diff(change))
        else:
            lines.append("  " + shorten(change.block.text, 400))
        lines.append("")
    if comparison.renumbered:
        lines.append(
            "Renumbered: " + "; ".join(map(run_label, renumbered_runs(comparison.renumbered)))
        )
    if cross:
        lines += ["", "The change note checked against the documents:"][lines[-1] == "" :]
        for check in cross.checks:
            lines.append(f"  {check.status.upper():<15} {check.reference.text}")
        for change in cross.unmentioned:
            lines.append(f"  {'UNMENTIONED':<15} {_where(change)} ({change.kind})")
    return "\n".join(lines).rstrip() + "\n"


def as_markdown(comparison: Comparison) -> str:
    """The edition summary: chapter by chapter counts, new paragraphs in full, and the
    renumbering table."""
    old, new = comparison.old, comparison.new
    lines = [
        f"# What changed: {new['name']}",
        "",
        f"Compared with {old['name']}. {_counts(comparison)}",
        "",
        "## Chapter by chapter",
        "",
        "| Heading | Changed | Added | Removed | Moved |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in comparison.summary():
        lines.append(
            f"| {_cell(row['heading'])} | {row['changed']} | {row['added']} "
            f"| {row['removed']} | {row['moved']} |"
        )
    changed = [change for change in comparison.changes if change.kind == "changed"]
    if changed:
        lines += ["", "## Changed paragraphs", ""]
        for change in changed:
            lines.append(f"- **{place(change.new)}**: {_inline_diff(change, markdown=True)}")
    added = [change for change in comparison.changes if change.kind == "added"]
    if added:
        lines += ["", "## New paragraphs", ""]
        for change in added:
            lines.append(f"- **{place(change.new)}**: {_md(change.new.text)}")
    removed = [change for change in comparison.changes if change.kind == "removed"]
    if removed:
        lines += ["", "## Removed paragraphs", ""]
        for change in removed:
            lines.append(f"- **{place(change.old)}**: ~~{_md(change.old.text)}~~")
    if comparison.renumbered:
        lines += ["", "## Renumbering", "", "| Old | New |", "| ---: | ---: |"]
        for old_first, old_last, new_first, new_last in renumbered_runs(comparison.renumbered):
            old_cell = old_first if old_first == old_last else f"{old_first}-{old_last}"
            new_cell = new_first if new_first == new_last else f"{new_first}-{new_last}"
            lines.append(f"| {old_cell} | {new_cell} |")
    return "\n".join(lines) + "\n"


def _where(change: Change) -> str:
    if change.old and change.new:
        before, after = place(change.old), place(change.new)
        return after if before == after else f"{after}, was {before.lower()}"
    return place(change.block)


def _inline_diff(change: Change, markdown: bool = False) -> str:
    marks = {"delete": ("~~", "~~"), "insert": ("**", "**")}
    if not markdown:
        marks = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}
    parts = []
    for operation, text in change.diff:
        text = _md(text.strip()) if markdown else text.strip()
        if operation == "equal":
            parts.append(text)
        else:
            opening, closing = marks[operation]
            parts.append(f"{opening}{text}{closing}")
    return " ".join(part for part in parts if part)


def _counts(comparison: Comparison) -> str:
    kinds = [change.kind for change in comparison.changes]
    if not kinds:
        return "No changes to the text."
    counts = [
        f"{kinds.count(kind)} {label.lower()}"
        for kind, label in KIND_LABELS.items()
        if kinds.count(kind)
    ]
    renumbered = len(comparison.renumbered)
    if renumbered:
        counts.append(f"{plural(renumbered, 'paragraph')} renumbered")
    return ", ".join(counts) + "."


def _size(meta: dict) -> str:
    paragraphs = plural(meta["paragraphs"], "numbered paragraph")
    return f"{plural(meta['pages'], 'page')}, {paragraphs}" if meta["pages"] else paragraphs


def _cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


def _md(text: str) -> str:
    """Document text as markdown text: no tag a markdown renderer would run."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_html(comparison: Comparison, cross: CrossCheck | None, renderer) -> str:
    """A standalone, printable page (``publisher compare --format html``)."""
    return renderer.render("compare/standalone.html", **html_context(comparison, cross))


def html_context(comparison: Comparison, cross: CrossCheck | None) -> dict:
    """What the comparison templates need (``compare/macros.html``)."""
    return {
        "comparison": comparison,
        "cross": cross,
        "counts": _counts(comparison),
        "where": _where,
        "labels": KIND_LABELS,
        "runs": renumbered_runs(comparison.renumbered),
    }


def stored(data: dict) -> tuple[Comparison, CrossCheck | None]:
    """A comparison stored with a change (``Change.comparison``), ready to render."""
    cross = data.get("cross_check")
    return Comparison.from_json(data), CrossCheck.from_json(cross) if cross else None


def stored_as_text(data: dict) -> str:
    if "error" in data:
        return f"The attached document could not be compared: {data['error']}\n"
    return as_text(*stored(data))
