"""HTTP for sources: polite to publishers, bounded in time and size, conditional.

- One request at a time per host by default (``per_host``) and a minimum delay between
  requests to a host (``host_delay``), shared by every worker thread of a run.
- 5xx answers and connection errors are retried with exponential backoff; 429 and 503
  with ``Retry-After`` make the whole host wait that long (up to ``max_retry_after``).
- Connect and read timeouts, and a deadline for the whole body; bodies over ``max_bytes``
  are abandoned while streaming (gzip is decoded first, so a zip bomb is caught too).
- ETag / Last-Modified are sent back (conditional GET); a 304, or the same bytes as last
  time, comes back as ``not_modified`` so callers parse nothing.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from publisher import __version__, watchdog
from publisher.models import Validators
from publisher.urls import refused_destination

if TYPE_CHECKING:  # requests is imported when the first request is made, not on start-up
    import requests

    from publisher.robots import RobotsCache

USER_AGENT = (
    f"la-safeguarding-publisher/{__version__} "
    "(+https://github.com/la-safeguarding/publisher; safeguarding bulletins for UK councils)"
)
RETRY_STATUSES = {500, 502, 503, 504}

_thread_sessions = threading.local()


def import_requests() -> None:
    """Import requests now rather than on the first request: before a big run forks
    (publisher.fetch_pool), so that each process does not import it again (about 40 ms)."""
    import requests  # noqa: F401


class FetchError(Exception):
    """A fetch failed for a reason a user can read, e.g. 'HTTP 500 Internal Server Error'."""


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    per_host: int = 1
    host_delay: float = 1.0
    retries: int = 2
    backoff: float = 1.0
    max_retry_after: float = 120.0
    max_redirects: int = 10
    respect_robots: bool = True


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive
    not_modified: bool = False
    redirect_to: str | None = None  # where a 3xx answer points (redirects are followed by hand)

    def json(self):
        return json.loads(self.body)


class HostGate:
    """Shared by all threads of a run: how many requests each host may have at once, and
    when the next may start."""

    def __init__(self, per_host: int = 1, delay: float = 0.0):
        self.per_host, self.delay = max(1, per_host), max(0.0, delay)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.per_host))
        with semaphore:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.delay
            time.sleep(max(0.0, start - now))
            yield

    def hold_off(self, url: str, seconds: float) -> None:
        """The host asked us to wait (Retry-After): nobody starts a request to it sooner."""
        host = urlsplit(url).netloc
        with self._lock:
            until = time.monotonic() + seconds
            self._next_start[host] = max(self._next_start.get(host, 0.0), until)


class HttpClient:
    """HTTP for one source in one run; created per source, used from a worker thread.

    ``validators`` are what the store knew before the run; ``learnt`` collects what this
    source's fetches told us, for the store to save together with the source's items, so a
    crash can never leave validators saved for content that was not.
    """

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        gate: HostGate | None = None,
        validators: dict[str, Validators] | None = None,
        robots: RobotsCache | None = None,
        origin: str | None = None,
    ):
        self.policy = policy or HttpPolicy()
        # The source's own address (see urls.refused_destination); without one, the first
        # address asked for.
        self.origin = origin
        self.gate = gate or HostGate(self.policy.per_host, self.policy.host_delay)
        self.robots = robots if self.policy.respect_robots else None
        self.validators = validators or {}
        self.learnt: dict[str, Validators] = {}

    @property
    def session(self) -> requests.Session:
        # requests.Session is not thread-safe: one per worker thread, reused across sources.
        if not hasattr(_thread_sessions, "session"):
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            _thread_sessions.session = session
        return _thread_sessions.session

    def get(self, url: str, conditional: bool = True, accept: str | None = None) -> Response:
        """GET ``url``; a ``Response`` with ``not_modified`` set when nothing changed.

        4xx answers come back for the caller to judge (a 410 can be news); everything
        else that goes wrong raises ``FetchError`` with a readable reason.
        """
        if self.origin is None:  # a client for one address a person gave (sources --discover)
            self.origin = url
        headers = {"Accept": accept} if accept else {}
        known = self.validators.get(url) if conditional else None
        if known and known.etag:
            headers["If-None-Match"] = known.etag
        if known and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        response = self._follow(url, headers)
        if response.status == 304:
            return response
        if response.status >= 400:
            return response
        content_hash = hashlib.sha256(response.body).hexdigest()
        self.learnt[url] = Validators(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_hash=content_hash,
        )
        if known and known.content_hash == content_hash:
            # The server ignored our validators but sent the same bytes.
            return Response(response.url, response.status, b"", response.headers, True)
        return response

    def _refuse_by_robots(self, url: str) -> None:
        parts = urlsplit(url)
        if problem := self.robots.problem(url):
            raise FetchError(
                f"robots.txt of {parts.netloc} unreachable ({problem}): nothing fetched "
                "from it this run; the next run asks again"
            )
        raise FetchError(f"robots.txt of {parts.netloc} disallows {parts.path or '/'}")

    def distrust(self, url: str) -> None:
        """The body from ``url`` did not parse cleanly (cut short, malformed): keep none of
        its validators or hash, so the next run fetches and reads it in full again."""
        self.learnt.pop(url, None)

    def _robots_txt(self, url: str) -> tuple[int, str]:
        response = self._follow(url, {"Accept": "text/plain"}, robots=False)
        return response.status, response.body.decode("utf-8", errors="replace")

    def _follow(self, url: str, headers: dict, robots: bool = True) -> Response:
        """Request ``url``, following redirects by hand: each hop passes the destination
        rule and robots.txt before it takes its turn at the host (a robots.txt fetched
        while holding that host's turn would wait for itself)."""
        for _hop in range(self.policy.max_redirects + 1):
            if problem := refused_destination(url, self.origin):
                raise FetchError(f"refused to fetch {url[:100]}: {problem}")
            if robots and self.robots and not self.robots.allowed(url, self._robots_txt):
                self._refuse_by_robots(url)
            response = self._get_with_retries(url, headers)
            if response.redirect_to is None:
                return response
            url = response.redirect_to
        raise FetchError(f"more than {self.policy.max_redirects} redirects (a redirect loop?)")

    def _get_with_retries(self, url: str, headers: dict) -> Response:
        policy = self.policy
        for attempt in range(policy.retries + 1):
            host_wait = None  # a wait the whole host must observe (429/503 Retry-After)
            try:
                with self.gate.slot(url):
                    response = self._get_once(url, headers)
            except _Retryable as error:
                problem = str(error)
            else:
                retry_after = _retry_after(response)
                if response.status == 429 or (response.status == 503 and retry_after is not None):
                    host_wait = _backoff(policy, attempt) if retry_after is None else retry_after
                    if host_wait > policy.max_retry_after:
                        raise FetchError(
                            f"{_status_text(response.status)}: asked to wait {host_wait:g}s "
                            f"(more than {policy.max_retry_after:g}s)"
                        )
                elif response.status not in RETRY_STATUSES:
                    return response
                problem = _status_text(response.status)
            if attempt == policy.retries:
                raise FetchError(f"{problem}{_attempts(attempt)}")
            if host_wait is None:
                time.sleep(_backoff(policy, attempt))
            else:
                self.gate.hold_off(url, host_wait)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, headers: dict) -> Response:
        """One request; a redirect comes back unfollowed, with where it points."""
        import requests

        policy = self.policy
        timeout = (min(policy.timeout, 10.0), policy.timeout)
        try:
            with self.session.get(
                url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            ) as answer:
                if answer.is_redirect:
                    target = urljoin(url, answer.headers["Location"])
                    return Response(url, answer.status_code, b"", answer.headers, False, target)
                if answer.status_code == 304:
                    return Response(answer.url, 304, b"", answer.headers, True)
                body = self._read_capped(answer)
                return Response(answer.url, answer.status_code, body, answer.headers)
        except requests.Timeout:
            raise FetchError(f"timed out after {policy.timeout:g}s") from None
        except requests.exceptions.ChunkedEncodingError:
            raise _Retryable("connection closed before the whole body arrived") from None
        except requests.ConnectionError as error:
            raise _Retryable(f"could not connect: {_root_cause(error)}") from None
        except requests.RequestException as error:
            raise FetchError(f"request failed: {error}") from None

    def _read_capped(self, response: requests.Response) -> bytes:
        import requests

        limit = self.policy.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"response too large: {int(declared):,} bytes (limit {limit:,})")
        # A server that trickles bytes never trips the read timeout, and a read blocks until a
        # whole chunk arrives: the watchdog cuts the connection when the whole body is overdue.
        allowed = self.policy.timeout * 3
        chunks, size = [], 0
        with watchdog.deadline(allowed, partial(_cut_off, response)) as overdue:
            try:
                for chunk in response.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"response too large: over {limit:,} bytes")
                    chunks.append(chunk)
            except requests.RequestException:
                if not overdue.is_set():
                    raise
        if overdue.is_set():
            raise FetchError(f"too slow: the body was still arriving after {allowed:g}s")
        return b"".join(chunks)


def _cut_off(response: requests.Response) -> None:
    """Close the connection under a read that is taking too long (from the watchdog)."""
    stream = getattr(getattr(getattr(response.raw, "_fp", None), "fp", None), "raw", None)
    sock = getattr(stream, "_sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        else:
            response.close()
    except OSError:
        pass


class _Retryable(FetchError):
    """A failure worth another try (connection refused or reset, truncated body)."""


def raise_for_status(response: Response) -> None:
    """Turn an HTTP error status into a readable ``FetchError``."""
    if response.status >= 400:
        raise FetchError(_status_text(response.status))


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _backoff(policy: HttpPolicy, attempt: int) -> float:
    """Twice as long before each try, never longer than a host may make us wait."""
    return min(policy.backoff * 2**attempt, policy.max_retry_after)


def _attempts(attempt: int) -> str:
    return f" ({attempt + 1} attempts)" if attempt else ""


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _root_cause(error: BaseException) -> str:
    while error.__context__ is not None and error.__context__ is not error:
        error = error.__context__
    return str(error) or error.__class__.__name__
