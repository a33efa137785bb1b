"""One URL policy for every URL that enters from outside: item links, GUID permalinks,
listing links, GOV.UK paths and attachments, links in the editorial file.

Only http and https (and mailto where a person wrote it), resolved against the page they
came from. The scheme is judged after removing what browsers ignore (whitespace, control
characters, character references), so ``JaVa&#x53;cript:``, ``java\\tscript:`` and
``javascript://%0a...`` are all refused.
"""

from __future__ import annotations

import html
import ipaddress
import re
import socket
from urllib.parse import urljoin, urlsplit

WEB_SCHEMES = frozenset({"http", "https"})
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f-\x9f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_LENGTH = 4096

DEFAULT_GOVUK_BASE_URL = "https://www.gov.uk"


def safe_url(url: object, base: str | None = None, allow_mailto: bool = False) -> str | None:
    """``url`` made absolute against ``base``, or None when it is not a web address."""
    if not isinstance(url, str) or len(url) > _MAX_LENGTH:
        return None
    text = html.unescape(url).strip()
    if not text:
        return None
    # The scheme as a browser reads it, ignoring whitespace and controls inside it.
    scheme = urlsplit(_IGNORED_BY_BROWSERS.sub("", text)).scheme.lower()
    if scheme == "mailto":
        return text if allow_mailto and "@" in text and not _CONTROL.search(text) else None
    if scheme and scheme not in WEB_SCHEMES:
        return None
    if _CONTROL.search(text):
        return None
    text = text.replace(" ", "%20")
    if not scheme:
        if not base:
            return None
        text = urljoin(base, text)
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return text


def join_on_host(base_url: str, path: object) -> str | None:
    """``path`` joined to ``base_url`` (e.g. a GOV.UK ``base_path``), or None when the result
    would leave ``base_url``'s host (``@evil.example/``, ``//evil.example/``, ``https://...``)."""
    if not isinstance(path, str):
        return None
    joined = safe_url("/" + path.lstrip("/") if not path.startswith("//") else path, base_url)
    if joined is None:
        return None
    base, result = urlsplit(base_url), urlsplit(joined)
    if (result.scheme, result.hostname, result.port) != (base.scheme, base.hostname, base.port):
        return None
    if "@" in result.netloc:
        return None
    return joined


def site_link(url: object, root: str = "") -> str | None:
    """An href for a template: a path within the site (``mi/mi-1-24.html``) joined to
    ``root``, or a web address passing the policy; None for anything else. Templates call
    this as the ``link`` filter on every URL they print, as defence in depth."""
    if not isinstance(url, str) or not url.strip():
        return None
    probe = _IGNORED_BY_BROWSERS.sub("", html.unescape(url))
    if (
        not urlsplit(probe).scheme
        and not probe.startswith(("//", "\\"))
        and not _CONTROL.search(url)
    ):
        return root + url.strip().lstrip("/")
    return safe_url(url)


def refused_destination(url: str, origin: str | None) -> str | None:
    """Why a request to ``url`` must not be made for a source at ``origin``, or None.

    Only http and https; and only the source's own host or a public address: a feed link,
    an article, a discovered feed or a redirect may not lead to loopback, private,
    link-local or other special addresses (an internal page must never be published).
    Hosts are resolved to check them; nothing is connected to."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return f"not a web address: {url[:80]}"
    if origin is not None and parts.hostname == urlsplit(origin).hostname:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except (OSError, UnicodeError):
        return None  # unresolvable: the request itself will fail and say so
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            return f"{parts.hostname} is not a public address ({ip}), and not the source's host"
    return None
