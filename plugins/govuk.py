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
from urllib.parse import urlencode, urljoin, urlparse

from publisher import hookimpl
from publisher.config import SourceConfig
from publisher.dates import from_iso
from publisher.http import FetchError, raise_for_status
from publisher.models import Attachment, ChangeNote, Item, Snapshot, SourceResult, digest
from publisher.sanitise import html_to_text
from publisher.sources import FetchContext, SourceKind

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
    register(SourceKind("govuk", fetch_content, "a GOV.UK page via the Content API"))
    register(
        SourceKind(
            "govuk-search",
            fetch_search,
            "new GOV.UK documents via the Search API",
            needs_url=False,
            discovers=True,
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
        key=content.get("content_id") or content["base_path"],
        url=snapshot.url,
        title=snapshot.title,
        summary=content.get("description") or "",
        published=from_iso(content.get("first_published_at")),
        updated=snapshot.public_updated_at,
        document_type=snapshot.document_type,
        organisation=snapshot.organisations[0] if snapshot.organisations else None,
    )
    return SourceResult(items=(item,), snapshots=(snapshot,), resolved_url=base_url + resolved_path)


def content_snapshot(content: dict, key: str, base_url: str) -> Snapshot:
    """A snapshot of a Content API item (the JSON GOV.UK serves)."""
    if not isinstance(content, dict) or "base_path" not in content or "title" not in content:
        raise FetchError("not a GOV.UK content item: no base_path or title")
    details = content.get("details") or {}
    withdrawn = content.get("withdrawn_notice") or {}
    page_url = base_url + content["base_path"]
    return Snapshot(
        key=key,
        url=page_url,
        title=content["title"],
        document_type=content.get("document_type"),
        public_updated_at=from_iso(content.get("public_updated_at")),
        change_history=tuple(
            ChangeNote(from_iso(entry["public_timestamp"]), entry.get("note") or "")
            for entry in details.get("change_history") or ()
            if entry.get("public_timestamp")
        ),
        attachments=tuple(
            Attachment(
                title=attachment.get("title") or attachment.get("filename") or "attachment",
                url=urljoin(page_url, attachment.get("url") or ""),
                content_type=attachment.get("content_type"),
                file_size=attachment.get("file_size"),
                pages=attachment.get("number_of_pages"),
            )
            for attachment in details.get("attachments") or ()
        ),
        body_hash=digest(details.get("body") or ""),
        withdrawn=_withdrawn_text(withdrawn),
        organisations=tuple(
            organisation.get("title", "")
            for organisation in (content.get("links") or {}).get("organisations") or ()
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
    return SourceResult(items=tuple(_search_item(result, base_url) for result in data["results"]))


def govuk_path(url: str) -> str:
    """'/government/publications/x', from a path or a full GOV.UK URL."""
    path = urlparse(url).path if "://" in url else url
    return "/" + path.strip().strip("/")


def _search_item(result: dict, base_url: str) -> Item:
    link = result.get("link") or ""
    organisations = result.get("organisations") or []
    first = organisations[0] if organisations else None
    return Item(
        key=result.get("content_id") or link,
        url=urljoin(base_url + "/", link),
        title=result.get("title") or link,
        summary=result.get("description") or "",
        published=_timestamp(result.get("public_timestamp")),
        updated=_timestamp(result.get("public_timestamp")),
        document_type=result.get("content_store_document_type"),
        organisation=(first.get("title") if isinstance(first, dict) else first),
    )


def _withdrawn_text(notice: dict) -> str | None:
    if not notice:
        return None
    explanation = html_to_text(notice.get("explanation") or "")
    return explanation or f"Withdrawn on {notice.get('withdrawn_at', 'an unknown date')}."


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError as error:
        raise FetchError(f"not JSON: {error}") from None


def _timestamp(text: str | None) -> datetime | None:
    try:
        return from_iso(text)
    except ValueError:
        return None


def _list(value) -> list[str]:
    if value is None:
        return []
    return [str(entry) for entry in value] if isinstance(value, list) else [str(value)]
