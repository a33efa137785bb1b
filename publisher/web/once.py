"""Forms that create something act once. Each such form carries a fresh one-time id; the
same form sent again (a double click, a browser resending after a slow answer, Back and
submit) gets what the first sending made instead of a second copy. No JavaScript needed.

The ids are remembered in memory, by the one ``publisher serve`` process (waitress serves
with threads): enough for a form sent twice within minutes.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

Made = TypeVar("Made")

FORM_ID_FIELD = "form_id"
_FORM_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")


def new_form_id() -> str:
    return secrets.token_urlsafe(24)


def is_form_id(value: str | None) -> bool:
    """Whether ``value`` looks like an id ``new_form_id`` made."""
    return bool(value) and _FORM_ID.fullmatch(value) is not None


class SentOnce:
    """What each form id made, for the last ``remember`` forms."""

    def __init__(self, remember: int = 10_000):
        self._made: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._remember = remember

    def run(self, key: Hashable, make: Callable[[], Made]) -> Made:
        """``make()``'s result, made once for ``key``: a later call with the same key
        returns the first result. If ``make`` raises, nothing is remembered (the form can
        be corrected and sent again)."""
        with self._lock:  # the second sending waits for the first to finish
            if key not in self._made:
                self._made[key] = make()
                while len(self._made) > self._remember:
                    self._made.popitem(last=False)
            return self._made[key]
