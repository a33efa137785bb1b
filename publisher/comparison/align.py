"""Two editions of a document lined up block by block, by content: text that only moved to
another page or was renumbered is not a change.

1. Identical blocks in the same order are anchors (difflib on the blocks' texts).
2. Between two anchors, the closest remaining pairs (rapidfuzz) are the same block edited.
3. Identical or near-identical blocks out of order have moved.
4. Whatever is left was removed (old) or added (new).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from publisher.comparison.extract import Block

SAME_PLACE_SIMILARITY = 60  # rapidfuzz ratio for an edited block between two anchors
MOVED_SIMILARITY = 85  # ...and for a block found elsewhere in the document


@dataclass(frozen=True)
class Pair:
    """One old block and its new counterpart; either side is None when added or removed."""

    kind: str  # same, changed, moved, added, removed
    old: Block | None
    new: Block | None


def _key(block: Block) -> str:
    return " ".join(block.text.casefold().split())


def align(old: list[Block], new: list[Block]) -> list[Pair]:
    from rapidfuzz import fuzz

    old_keys, new_keys = [_key(block) for block in old], [_key(block) for block in new]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    matched_old: dict[int, tuple[str, int]] = {}
    gaps: list[tuple[range, range]] = []
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(old_end - old_start):
                matched_old[old_start + offset] = ("same", new_start + offset)
        else:
            gaps.append((range(old_start, old_end), range(new_start, new_end)))

    matched_new = {index for _, index in matched_old.values()}
    for old_range, new_range in gaps:
        candidates = sorted(
            (
                (fuzz.ratio(old_keys[i], new_keys[j]), i, j)
                for i in old_range
                for j in new_range
                if old[i].kind == new[j].kind
            ),
            reverse=True,
        )
        for score, i, j in candidates:
            if score < SAME_PLACE_SIMILARITY:
                break
            if i not in matched_old and j not in matched_new:
                matched_old[i] = ("changed", j)
                matched_new.add(j)

    _match_moved(old_keys, new_keys, matched_old, matched_new)
    return _in_new_order(old, new, matched_old)


def _match_moved(old_keys, new_keys, matched_old, matched_new) -> None:
    from rapidfuzz import fuzz

    left_old = [i for i in range(len(old_keys)) if i not in matched_old and len(old_keys[i]) > 20]
    left_new = [j for j in range(len(new_keys)) if j not in matched_new]
    candidates = sorted(
        (
            (score, i, j)
            for i in left_old
            for j in left_new
            if (score := fuzz.ratio(old_keys[i], new_keys[j], score_cutoff=MOVED_SIMILARITY))
        ),
        reverse=True,
    )
    for _, i, j in candidates:
        if i not in matched_old and j not in matched_new:
            matched_old[i] = ("moved", j)
            matched_new.add(j)


def _in_new_order(old: list[Block], new: list[Block], matched_old: dict) -> list[Pair]:
    """Pairs in the new edition's order, each removed block after its old predecessor's
    counterpart."""
    by_new = {j: (kind, i) for i, (kind, j) in matched_old.items()}
    removed_after: dict[int, list[int]] = {}
    last_new = -1
    for i in range(len(old)):
        if i in matched_old:
            last_new = matched_old[i][1]
        else:
            removed_after.setdefault(last_new, []).append(i)
    pairs = [Pair("removed", old[i], None) for i in removed_after.get(-1, [])]
    for j, block in enumerate(new):
        if j in by_new:
            kind, i = by_new[j]
            pairs.append(Pair(kind, old[i], block))
        else:
            pairs.append(Pair("added", None, block))
        pairs += [Pair("removed", old[i], None) for i in removed_after.get(j, [])]
    return pairs
