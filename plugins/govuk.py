"""GOV.UK sources.

- ``govuk``: one publication page read through the Content API
  (``/api/content/<path>``): change history, attachments, withdrawal. Each distinct state
  is stored as a version, so detection sees major, minor, attachment and withdrawn changes.
- ``govuk-search``: new documents found through the Search API (``/api/search.json``),
  filtered by organisation and document type, e.g. new DfE statutory guidance.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlparse

from publisher import hookimpl
from publisher.dates import from_iso
from publisher.http import FetchError, raise_for_status
from publisher.models import Attachment, ChangeNote, Item, Snapshot, SourceResult, digest
from publisher.sources import FetchContext, SourceKind
from publisher.urls import DEFAULT_GOVUK_BASE_URL, join_on_host, safe_url

if TYPE_CHECKING:
    from publisher.config import SourceConfig

# A new edition often comes with several files; the rest are kept on the next runs.
MAX_FILES_PER_RUN = 6
ASSETS_HOST = "assets.publishing.service.gov.uk"
SEARCH_FIELDS = (
    "title",
    "link",
    "description",
    "public_timestamp",
    "content_store_document_type",
    "organisations",
    "content_id",
)


@hookimpl
def register_sources(register):
    register(
        SourceKind(
            "govuk", fetch_content, "a GOV.UK page via the Content API", url_may_be_path=True
        )
    )
    register(
        SourceKind(
            "govuk-search",
            fetch_search,
            "new GOV.UK documents via the Search API",
            needs_url=False,
            discovers=True,
            options={
                "organisations": str | list[str],
                "document_types": str | list[str],
                "query": str,
                "count": int,
            },
        )
    )


def fetch_content(source: SourceConfig, context: FetchContext) -> SourceResult:
    base_url = context.settings.govuk_base_url
    path = govuk_path(source.url)
    response = context.http.get(f"{base_url}/api/content{path}", accept="application/json")
    if response.status == 410:
        gone = Snapshot(
            key=path,
            url=base_url + path,
            title="",
            withdrawn="Removed from GOV.UK (HTTP 410 Gone).",
        )
        return SourceResult(snapshots=(gone,))
    if response.status == 404:
        raise FetchError(f"HTTP 404 Not Found: GOV.UK has no page at {path} (check the url)")
    raise_for_status(response)
    if response.not_modified:
        return SourceResult(not_modified=True)
    content = _json(response.body)
    resolved_path = urlparse(response.url).path.removeprefix("/api/content")
    snapshot = content_snapshot(content, key=path, base_url=base_url)
    item = Item(
        key=_text(content.get("content_id")) or snapshot.url,
        url=snapshot.url,
        title=snapshot.title,
        summary=_text(content.get("description")),
        published=_timestamp(content.get("first_published_at")),
        updated=snapshot.public_updated_at,
        document_type=snapshot.document_type,
        organisation=snapshot.organisations[0] if snapshot.organisations else None,
    )
    files, notes = attached_files(snapshot, context)
    return SourceResult(
        items=(item,),
        snapshots=(snapshot,),
        resolved_url=base_url + resolved_path,
        files=files,
        notes=notes,
    )


def attached_files(snapshot: Snapshot, context: FetchContext) -> tuple[dict, tuple[str, ...]]:
    """The PDFs the page attaches that are not kept yet, so a replaced edition can be
    compared with the one before (same HTTP rules and size cap as the page)."""
    files, notes = {}, []
    base_url = context.settings.govuk_base_url
    hosts = {urlparse(base_url).hostname}
    if base_url == DEFAULT_GOVUK_BASE_URL:  # a mirror or test server: its own files only
        hosts.add(ASSETS_HOST)
    wanted = [
        attachment
        for attachment in snapshot.attachments
        if (attachment.content_type == "application/pdf" or attachment.url.endswith(".pdf"))
        and urlparse(attachment.url).hostname in hosts
        and not context.has_file(attachment.url)
    ]
    for attachment in wanted[:MAX_FILES_PER_RUN]:
        try:
            response = context.http.get(attachment.url, conditional=False)
            raise_for_status(response)
        except FetchError as error:
            notes.append(f"attachment {attachment.title!r} not kept for comparison: {error}")
            continue
        files[attachment.url] = response.body
    return files, tuple(notes)


def content_snapshot(content: dict, key: str, base_url: str) -> Snapshot:
    """A snapshot of a Content API item (the JSON GOV.UK serves). GOV.UK's JSON is read
    defensively: entries of the wrong shape are skipped, numbers given as text are read."""
    if not isinstance(content, dict) or "base_path" not in content or "title" not in content:
        raise FetchError("not a GOV.UK content item: no base_path or title")
    details = _mapping(content.get("details"))
    page_url = join_on_host(base_url, content["base_path"])
    if page_url is None:
        raise FetchError(f"base_path {str(content['base_path'])[:80]!r} does not stay on GOV.UK")
    return Snapshot(
        key=key,
        url=page_url,
        title=_text(content["title"]),
        document_type=_text(content.get("document_type")) or None,
        public_updated_at=_timestamp(content.get("public_updated_at")),
        change_history=tuple(
            ChangeNote(when, _text(entry.get("note")))
            for entry in _entries(details.get("change_history"))
            if (when := _timestamp(entry.get("public_timestamp")))
        ),
        attachments=tuple(
            Attachment(
                title=_text(attachment.get("title") or attachment.get("filename")) or "attachment",
                url=safe_url(attachment.get("url"), page_url) or "",
                content_type=_text(attachment.get("content_type")) or None,
                file_size=_count(attachment.get("file_size")),
                pages=_count(attachment.get("number_of_pages")),
            )
            for attachment in _entries(details.get("attachments"))
        ),
        body_hash=digest(_text(details.get("body"))),
        withdrawn=_withdrawn_text(_mapping(content.get("withdrawn_notice"))),
        organisations=tuple(
            _text(organisation.get("title"))
            for organisation in _entries(_mapping(content.get("links")).get("organisations"))
        ),
    )


def fetch_search(source: SourceConfig, context: FetchContext) -> SourceResult:
    base_url = context.settings.govuk_base_url
    options = source.options
    params = [("order", "-public_timestamp"), ("count", str(options.get("count", 50)))]
    params += [("filter_organisations", slug) for slug in _list(options.get("organisations"))]
    params += [
        ("filter_content_store_document_type", document_type)
        for document_type in _list(options.get("document_types"))
    ]
    if options.get("query"):
        params.append(("q", str(options["query"])))
    params += [("fields", field) for field in SEARCH_FIELDS]
    url = source.url or f"{base_url}/api/search.json"
    response = context.http.get(f"{url}?{urlencode(params)}", accept="application/json")
    raise_for_status(response)
    if response.not_modified:
        return SourceResult(not_modified=True)
    data = _json(response.body)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise FetchError("not a GOV.UK search response: no results list")
    items = (_search_item(result, base_url) for result in _entries(data["results"]))
    return SourceResult(items=tuple(item for item in items if item is not None))


def govuk_path(url: str) -> str:
    """'/government/publications/x', from a path or a full GOV.UK URL."""
    path = urlparse(url).path if "://" in url else url
    return "/" + path.strip().strip("/")


def _search_item(result: dict, base_url: str) -> Item | None:
    """An item for a search result, or None when it has no link on GOV.UK."""
    url = join_on_host(base_url, result.get("link"))
    if url is None:
        return None
    organisations = _entries(result.get("organisations"))
    return Item(
        key=_text(result.get("content_id")) or url,
        url=url,
        title=_text(result.get("title")) or url,
        summary=_text(result.get("description")),
        published=_timestamp(result.get("public_timestamp")),
        updated=_timestamp(result.get("public_timestamp")),
        document_type=_text(result.get("content_store_document_type")) or None,
        organisation=_text(organisations[0].get("title")) if organisations else None,
    )


def _withdrawn_text(notice: dict) -> str | None:
    if not notice:
        return None
    from publisher.sanitise import html_to_text  # on use: its HTML libraries load slowly

    explanation = html_to_text(_text(notice.get("explanation")))
    return explanation or f"Withdrawn on {_text(notice.get('withdrawn_at')) or 'an unknown date'}."


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError as error:
        raise FetchError(f"not JSON: {error}") from None
    except RecursionError:
        raise FetchError("not JSON that can be read: nested too deeply") from None


def _timestamp(text: object) -> datetime | None:
    try:
        return from_iso(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _text(value: object) -> str:
    """Text given as text or as a number; anything else (a list, an object) is no text."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def _count(value: object) -> int | None:
    """A whole number given as a number or as digits in text ("²" is no number, nor -1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**15 else None
    text = _text(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else None


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _entries(value: object) -> list[dict]:
    """The objects of a JSON list (anything else in it is skipped)."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _list(value) -> list[str]:
    if value is None:
        return []
    return [str(entry) for entry in value] if isinstance(value, list) else [str(value)]
