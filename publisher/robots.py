"""robots.txt, fetched once per host and kept for a day (RFC 9309).

A URL that robots.txt disallows for us is not fetched. As the RFC says: a robots.txt that
is missing (4xx) allows everything; one that cannot be read (5xx, unreachable) allows nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from publisher.dates import utcnow

MAX_AGE = timedelta(hours=24)
ROBOT_NAME = "la-safeguarding-publisher"


@dataclass(frozen=True)
class RobotsFile:
    host: str  # scheme://netloc
    text: str | None  # None: unreadable, so nothing is allowed
    fetched_at: datetime

    def parser(self) -> RobotFileParser:
        parser = RobotFileParser()
        if self.text is None:
            parser.disallow_all = True
        else:
            parser.parse(self.text.splitlines())
        return parser


class RobotsCache:
    """Shared by every source of a run. ``fetch(url) -> (status, text)`` reads a robots.txt;
    files known from earlier runs are reused until they are a day old."""

    def __init__(self, known: dict[str, RobotsFile] | None = None):
        self.known = dict(known or {})
        self.learnt: dict[str, RobotsFile] = {}
        self._parsers: dict[str, RobotFileParser] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str, fetch: Callable[[str], tuple[int, str]]) -> bool:
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if parts.path == "/robots.txt":
            return True
        with self._lock:
            host_lock = self._locks.setdefault(host, threading.Lock())
        with host_lock:  # one fetch per host, however many sources wait for it
            if host not in self._parsers:
                self._parsers[host] = self._robots_file(host, fetch).parser()
        return self._parsers[host].can_fetch(ROBOT_NAME, url)

    def _robots_file(self, host: str, fetch) -> RobotsFile:
        cached = self.known.get(host)
        if cached and utcnow() - cached.fetched_at < MAX_AGE:
            return cached
        try:
            status, text = fetch(f"{host}/robots.txt")
        except Exception:  # unreachable: the RFC says assume complete disallow
            status, text = 503, ""
        if status >= 500:
            robots = RobotsFile(host, None, utcnow())
        else:
            robots = RobotsFile(host, text if status < 400 else "", utcnow())
        self.learnt[host] = robots
        return robots
