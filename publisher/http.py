"""HTTP for sources: one requests session, timeouts, a size cap, conditional GET."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

import requests

from publisher import __version__

USER_AGENT = (
    f"la-safeguarding-publisher/{__version__} "
    "(+https://github.com/la-safeguarding/publisher; safeguarding bulletins for UK councils)"
)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_thread_sessions = threading.local()


class FetchError(Exception):
    """A fetch failed for a reason a user can read, e.g. 'HTTP 500 Internal Server Error'."""


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a URL told us, for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive
    not_modified: bool = False

    def json(self):
        return json.loads(self.body)


class HttpClient:
    """HTTP for one source in one run; safe to create per source in worker threads.

    ``validators`` are what the store knew before the run; ``learnt`` collects what this
    source's fetches told us, for the store to save together with the source's items, so a
    crash can never leave validators saved for content that was not.
    """

    def __init__(
        self,
        timeout: float = 20.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        validators: dict[str, Validators] | None = None,
    ):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.validators = validators or {}
        self.learnt: dict[str, Validators] = {}

    @property
    def session(self) -> requests.Session:
        # requests.Session is not thread-safe: keep one per worker thread, reused across sources.
        if not hasattr(_thread_sessions, "session"):
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            session.max_redirects = 10
            _thread_sessions.session = session
        return _thread_sessions.session

    def get(self, url: str, conditional: bool = True, accept: str | None = None) -> Response:
        """GET ``url``; a ``Response`` with ``not_modified`` set when nothing changed.

        Raises ``FetchError`` for timeouts, connection errors, HTTP errors (other than
        those a caller asks to see via ``Response.status``) and oversized bodies.
        """
        headers = {"Accept": accept} if accept else {}
        known = self.validators.get(url) if conditional else None
        if known:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        try:
            with self.session.get(
                url, headers=headers, timeout=self.timeout, stream=True
            ) as response:
                if response.status_code == 304:
                    return Response(response.url, 304, b"", response.headers, True)
                body = self._read_capped(response)
        except requests.Timeout:
            raise FetchError(f"timed out after {self.timeout:g}s") from None
        except requests.TooManyRedirects:
            raise FetchError("too many redirects (a redirect loop?)") from None
        except requests.ConnectionError as error:
            raise FetchError(f"could not connect: {_root_cause(error)}") from None
        except requests.RequestException as error:
            raise FetchError(f"request failed: {error}") from None
        content_hash = hashlib.sha256(body).hexdigest()
        result = Response(response.url, response.status_code, body, response.headers)
        if response.status_code >= 400:
            return result
        self.learnt[url] = Validators(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_hash=content_hash,
        )
        if known and known.content_hash == content_hash:
            # The server ignored our validators but sent the same bytes.
            return Response(response.url, response.status_code, b"", result.headers, True)
        return result

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"response too large: {int(declared):,} bytes (limit {self.max_bytes:,})"
            )
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"response too large: over {self.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def raise_for_status(response: Response) -> None:
    """Turn an HTTP error status into a readable ``FetchError``."""
    if response.status >= 400:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        raise FetchError(f"HTTP {response.status} {phrase}".strip())


def _root_cause(error: BaseException) -> str:
    while error.__context__ is not None and error.__context__ is not error:
        error = error.__context__
    return str(error) or error.__class__.__name__
