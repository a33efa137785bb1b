"""Sources without feeds: listing pages, feed autodiscovery, robots.txt, source health."""

import json
import sqlite3

import pytest
from pytest_httpserver import URIPattern
from werkzeug import Response

from conftest import fixture_bytes

HTML = "text/html; charset=utf-8"


class AnyPath(URIPattern):
    def match(self, uri: str) -> bool:
        return True


class Site:
    """A publisher's site on the local test server whose pages tests change between runs."""

    def __init__(self, server):
        self.server = server
        self.pages: dict[str, tuple[int, bytes, str]] = {}
        self.requests: list[str] = []
        server.expect_request(AnyPath()).respond_with_handler(self.respond)

    def respond(self, request):
        self.requests.append(request.full_path.rstrip("?"))
        key = request.full_path.rstrip("?")
        status, body, content_type = self.pages.get(
            key, self.pages.get(request.path, (404, b"Not found", "text/plain"))
        )
        return Response(body, status=status, content_type=content_type)

    def serve(self, path, fixture=None, status=200, content_type=HTML, body=None):
        self.pages[path] = (
            status,
            body if body is not None else fixture_bytes(fixture),
            content_type,
        )

    def url(self, path):
        return self.server.url_for(path)


@pytest.fixture
def site(server):
    return Site(server)


def listing(site, **options):
    return {"id": "magazine", "kind": "listing", "url": site.url("/magazine/"), **options}


def test_a_listing_page_becomes_items(site, project):
    site.serve("/magazine/", "listing/magazine-week1.html")
    project.configure([listing(site)])
    assert project.run("fetch").output.splitlines()[0] == (
        "magazine  10 new, 0 updated, 0 unchanged"
    )  # the featured duplicate counted once
    items = {item["title"]: item for item in project.items("magazine")}
    assert len(items) == 10
    guide = items["A guide to the Online Safety Act for schools"]
    assert guide["url"] == site.url("/magazine/online-safety-act-guide/")  # relative, resolved
    assert guide["summary"] == "What the Act means for DSLs."
    published = {title: item["published"][:10] for title, item in items.items()}
    assert published == {
        "A guide to the Online Safety Act for schools": "2024-02-20",  # <time datetime>
        "New advice on financially motivated sextortion": "2024-02-19",  # 19/02/2024
        "Filtering and monitoring: a termly checklist": "2024-02-16",  # Feb 16, 2024
        "Safer Internet Day 2024 round-up": "2024-02-13",  # Published: 13th February 2024
        "AI chatbots and children: what we know": "2024-02-09",  # 2024-02-09
        "Voice chat in online games": "2024-02-07",  # 7 February 2024
        "Reporting harmful content: updated guide": "2024-02-05",  # 5 Feb 2024
        "Livestreaming risks for primary pupils": "2024-02-02",  # 02/02/2024: day first
        "Image sharing: responding to incidents": "2024-01-31",
        "Parental controls round-up": "2024-01-29",
    }


def test_a_week_later_only_new_articles_are_new(site, project):
    site.serve("/magazine/", "listing/magazine-week1.html")
    project.configure([listing(site)])
    project.run("fetch")
    site.serve("/magazine/", "listing/magazine-week2.html")
    assert project.run("fetch").output.splitlines()[0] == (
        "magazine  2 new, 0 updated, 9 unchanged"
    )
    titles = {item["title"] for item in project.items("magazine")}
    assert len(titles) == 12  # the article that left the listing is kept
    assert "Parental controls round-up" in titles
    assert {
        "Deepfakes in schools: first response",
        "Online safety self-review tool relaunched",
    } <= titles


def test_more_pages_on_request(site, project):
    site.serve("/magazine/", "listing/magazine-week1.html")
    site.serve("/magazine/?page=2", "listing/magazine-page2.html")
    project.configure([listing(site, pages=3)])
    assert project.run("fetch").output.startswith("magazine  12 new")
    assert site.requests.count("/magazine/?page=2") == 1  # page 2 has no next link: stop


def test_new_articles_can_be_read_for_a_missing_date(site, project):
    site.serve(
        "/magazine/",
        body=fixture_bytes("listing/magazine-week2.html").replace(
            b'<span class="date">27 February 2024</span>', b""
        ),
    )
    site.serve("/magazine/deepfakes/", "listing/article-no-date.html")
    project.configure([listing(site, fetch_articles=True)])
    project.run("fetch")
    deepfakes = next(
        item for item in project.items("magazine") if item["title"].startswith("Deepfakes")
    )
    assert deepfakes["published"] == "2024-02-27T08:30:00+00:00"
    assert site.requests.count("/magazine/deepfakes/") == 1
    project.run("fetch")
    assert site.requests.count("/magazine/deepfakes/") == 1  # known now: not read again


def test_selectors_can_be_configured(site, project):
    site.serve("/magazine/", "listing/magazine-week1.html")
    project.configure(
        [
            listing(
                site,
                item_selector=".listing .news-item",
                date_selector="time, .date, .post-date, .published",
            )
        ]
    )
    assert project.run("fetch").output.startswith("magazine  10 new")
    project.configure([listing(site, item_selector=".no-such-class")])
    # A new configuration is read afresh; no item matches, so links below /magazine/ are
    # taken: the same 10 articles (no false new ones), now without dates and summaries.
    result = project.run("fetch")
    assert result.output.startswith("magazine  0 new, 10 updated, 0 unchanged")


def test_feed_autodiscovery_and_rediscovery(site, project):
    site.serve("/", "listing/homepage.html")
    site.serve("/news/feed.xml", "feeds/news.rss", content_type="application/rss+xml")
    project.configure([{"id": "charity", "kind": "feed", "url": site.url("/")}])
    first = project.run("fetch").output.splitlines()[0]
    assert first == (
        f"charity  3 new, 0 updated, 0 unchanged; using the RSS feed it links to: "
        f"{site.url('/news/feed.xml')}"
    )
    [health] = json.loads(project.run("sources", "--format", "json").output)
    assert health["resolved_url"] == site.url("/news/feed.xml")

    project.run("fetch")
    assert site.requests.count("/") == 1  # the remembered feed is read directly

    # The site is rebuilt: the old feed URL 404s and the homepage points elsewhere.
    del site.pages["/news/feed.xml"]
    site.serve("/", "listing/homepage-rebuilt.html")
    site.serve("/news/v2/feed.xml", "feeds/news.rss", content_type="application/rss+xml")
    again = project.run("fetch").output.splitlines()[0]
    assert again.startswith("charity  0 new, 0 updated, 3 unchanged; the feed found earlier")
    assert "HTTP 404 Not Found); discovered again" in again
    [health] = json.loads(project.run("sources", "--format", "json").output)
    assert health["resolved_url"] == site.url("/news/v2/feed.xml")


def test_discover_shows_what_a_feed_source_would_use(site, project):
    site.serve("/", "listing/homepage.html")
    site.serve("/plain", "listing/homepage-nofeed.html")
    project.configure([listing(site)])
    lines = project.run("sources", "--discover", site.url("/")).output.splitlines()
    assert lines == [
        f"RSS   {site.url('/news/feed.xml')} (News (RSS))  <- a feed source would use this",
        f"Atom  {site.url('/news/atom.xml')} (News (Atom))",  # relative href resolved
        f"RSS   {site.url('/comments/feed.xml')} (Comments feed)",
    ]
    found = json.loads(
        project.run("sources", "--discover", site.url("/"), "--format", "json").output
    )
    assert [link["kind"] for link in found] == ["RSS", "Atom", "RSS"]
    assert (
        "links to no RSS or Atom feed; use kind: listing"
        in project.run("sources", "--discover", site.url("/plain")).output
    )
    project.configure([{"id": "plain", "kind": "feed", "url": site.url("/plain")}])
    assert "links to no RSS or Atom feed" in project.run("fetch", expect=1).output


def test_robots_txt_is_honoured_and_cached(site, project):
    site.serve("/robots.txt", "listing/robots.txt", content_type="text/plain")
    site.serve("/magazine/", "listing/magazine-week1.html")
    site.serve("/private/news/", "listing/magazine-week1.html")
    project.configure(
        [listing(site), {"id": "hidden", "kind": "listing", "url": site.url("/private/news/")}],
        settings={"robots": True},
    )
    lines = project.run("fetch", expect=1).output.splitlines()
    assert lines[0].startswith("magazine  10 new")
    host = site.url("/").split("//")[1].rstrip("/")
    assert lines[1] == f"hidden    FAILED: robots.txt of {host} disallows /private/news/"
    assert "/private/news/" not in site.requests
    project.run("fetch", expect=1)
    assert site.requests.count("/robots.txt") == 1  # kept for a day


@pytest.mark.parametrize(
    ("status", "reason"),
    [(503, "HTTP 503 Service Unavailable"), (500, "HTTP 500 Internal Server Error")],
)
def test_a_robots_txt_that_cannot_be_read_allows_nothing_this_run_only(
    site, project, status, reason
):
    site.serve("/robots.txt", status=status, body=b"down", content_type="text/plain")
    site.serve("/magazine/", "listing/magazine-week1.html")
    project.configure([listing(site)], settings={"robots": True, "retries": 0})
    output = project.run("fetch", expect=1).output
    assert f"unreachable ({reason}): nothing fetched from it this run" in output
    assert "disallows" not in output
    assert "/magazine/" not in site.requests
    site.serve("/robots.txt", "listing/robots.txt", content_type="text/plain")  # back again
    assert project.run("fetch").output.startswith("magazine  10 new")  # asked again at once
    assert site.requests.count("/robots.txt") == 2


def test_quiet_and_failing_sources_are_flagged_once(site, project):
    site.serve("/magazine/", "listing/magazine-week1.html")
    project.configure([listing(site)], settings={"flag_quiet_days": 30})
    project.run("check")
    with sqlite3.connect(project.data_dir / "publisher.db") as db:  # 45 days pass
        db.execute("UPDATE source_state SET last_new_item = '2000-01-01T00:00:00+00:00'")
    quiet = project.run("check")
    assert "source 'magazine' has produced nothing new for" in quiet.stderr
    assert project.run("check").stderr == ""  # once, not every run
    site.serve("/magazine/", "listing/magazine-week2.html")
    assert project.run("check").stderr == ""  # new items: no longer quiet


def test_a_failing_source_is_reported_when_it_fails_for_long_and_when_it_recovers(site, project):
    site.serve("/magazine/", "listing/magazine-week1.html")
    project.configure([listing(site)], settings={"flag_after_failures": 3})
    project.run("check")
    site.serve("/magazine/", status=503, body=b"Service Unavailable", content_type="text/plain")
    reports = [project.run("check").stderr for _ in range(4)]
    assert reports[0] == "publisher check: source 'magazine' failed: HTTP 503 Service Unavailable\n"
    assert reports[1] == ""
    assert reports[2].startswith(
        "publisher check: source 'magazine' has failed 3 runs in a row (since "
    )
    assert reports[2].endswith("): HTTP 503 Service Unavailable\n")
    assert reports[3] == ""
    site.serve("/magazine/", "listing/magazine-week1.html")
    recovered = project.run("check").stderr
    assert recovered == "publisher check: source 'magazine' works again after 4 failed runs\n"
    assert project.run("check").stderr == ""


def test_summary_next_and_article_selectors_for_a_bespoke_cms(site, project):
    site.serve("/news/", "listing/cms-page1.html")
    site.serve("/news/?p=2", "listing/cms-page2.html")
    for slug in ("one", "two", "three"):
        site.serve(f"/news/{slug}/", "listing/article-no-date.html")
    project.configure(
        [
            {
                "id": "cms",
                "kind": "listing",
                "url": site.url("/news/"),
                "item_selector": ".tile",
                "link_selector": "a.tile-link",
                "summary_selector": ".teaser",
                "next_selector": "a.older-posts",
                "pages": 2,
                "fetch_articles": True,
                "max_articles": 2,
            }
        ]
    )
    assert project.run("fetch").output.startswith("cms  3 new")
    items = {item["title"]: item for item in project.items("cms")}
    assert items["Filtering and monitoring: a checklist for schools"]["summary"] == (
        "Ten questions to ask your provider this term."
    )
    assert items["Safer Internet Day: resources for governors"]["summary"] == (
        "Assemblies, lesson plans and a governor briefing."
    )
    # At most two articles are read in a run for the dates the listing does not show.
    article_requests = [path for path in site.requests if path.count("/") == 3]
    assert len(article_requests) == 2
    assert sum(item["published"] is not None for item in items.values()) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Published: 19 Feb 2024 · 3 min read", "2024-02-19"),
        ("19 February 2024", "2024-02-19"),
        ("Monday 19th February 2024", "2024-02-19"),
        ("Mon, 19 Feb. 2024", "2024-02-19"),
        ("the 1st of March 2024", "2024-03-01"),
        ("February 19, 2024 | 5 comments", "2024-02-19"),
        ("Sept 3rd, 2024", "2024-09-03"),
        ("02/03/2024", "2024-03-02"),  # day first, as in the UK
        ("Updated 02.03.2024 (v2)", "2024-03-02"),
        ("2024-02-19T09:30:00+00:00", "2024-02-19"),
        ("Posted 2024-02-19 by 4 editors", "2024-02-19"),
        ("12 comments, 3 likes, 19 Feb 2024", "2024-02-19"),
    ],
)
def test_dates_beside_other_numbers_are_found(text, expected):
    from publisher.dates import find_date

    assert find_date(text).date().isoformat() == expected


@pytest.mark.parametrize("text", ["3 min read", "Issue 42", "", "Page 2 of 7", "32/13/2024"])
def test_text_without_a_date_gives_none(text):
    from publisher.dates import find_date

    assert find_date(text) is None


def test_a_card_date_next_to_a_reading_time_and_undated_items_are_flagged(site, project):
    site.serve(
        "/magazine/",
        body=b"""<main>
        <article class="card"><h3><a href="/magazine/a/">Deepfakes</a></h3>
          <p class="meta">Published: 19 Feb 2024 \xc2\xb7 3 min read</p></article>
        <article class="card"><h3><a href="/magazine/b/">Vaping</a></h3>
          <p class="meta">5 min read</p></article>
        <article class="card"><h3><a href="/magazine/c/">Sextortion</a></h3>
          <p class="meta">Read later</p></article>
        </main>""",
    )
    project.configure([listing(site, item_selector=".card", date_selector=".meta")])
    output = project.run("fetch").output
    assert "2 items without a date: check date_selector" in output
    dated = {row["title"]: row["published"] for row in project.items("magazine")}
    assert dated["Deepfakes"].startswith("2024-02-19")
    assert dated["Vaping"] is None
