"""robots.txt, fetched once per host and kept for a day (RFC 9309).

A URL that robots.txt disallows for us is not fetched. As the RFC says: a robots.txt that
is missing (4xx) allows everything; one that cannot be read (5xx, unreachable) allows nothing,
but only for this run: a failure is never kept, so the next run asks again, and it is
reported as what it was (HTTP 503, connection refused), not as "disallows".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from publisher.dates import utcnow
from publisher.models import RobotsFile

MAX_AGE = timedelta(hours=24)
ROBOT_NAME = "la-safeguarding-publisher"


def parser_for(robots: RobotsFile) -> RobotFileParser:
    parser = RobotFileParser()
    if robots.text is None:
        parser.disallow_all = True
    else:
        parser.parse(robots.text.splitlines())
    return parser


class RobotsCache:
    """Shared by every source of a run. ``fetch(url) -> (status, text)`` reads a robots.txt;
    files known from earlier runs are reused until they are a day old."""

    def __init__(self, known: dict[str, RobotsFile] | None = None):
        # Failures stored by older releases are not trusted: those hosts are asked again.
        self.known = {
            host: robots for host, robots in (known or {}).items() if robots.text is not None
        }
        self.learnt: dict[str, RobotsFile] = {}
        self._parsers: dict[str, RobotFileParser] = {}
        self._problems: dict[str, str | None] = {}
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
                robots = self._robots_file(host, fetch)
                self._parsers[host] = parser_for(robots)
                self._problems[host] = robots.problem
        return self._parsers[host].can_fetch(ROBOT_NAME, url)

    def problem(self, url: str) -> str | None:
        """Why the robots.txt for ``url``'s host could not be read this run, if it could not."""
        parts = urlsplit(url)
        return self._problems.get(f"{parts.scheme}://{parts.netloc}")

    def _robots_file(self, host: str, fetch) -> RobotsFile:
        cached = self.known.get(host)
        if cached and utcnow() - cached.fetched_at < MAX_AGE:
            return cached
        try:
            status, text = fetch(f"{host}/robots.txt")
        except Exception as error:  # unreachable: assume complete disallow, for this run only
            return RobotsFile(host, None, utcnow(), problem=str(error) or type(error).__name__)
        if status >= 500:
            return RobotsFile(host, None, utcnow(), problem=f"HTTP {status}")
        robots = RobotsFile(host, text if status < 400 else "", utcnow())
        self.learnt[host] = robots
        return robots
