import json
import time

from werkzeug import Response

from conftest import fixture_bytes

RSS = "application/rss+xml"


def serve(server, path, body, content_type=RSS, status=200):
    server.expect_request(path).respond_with_data(body, status=status, content_type=content_type)
    return server.url_for(path)


def feed_source(source_id, url, **extra):
    return {"id": source_id, "kind": "feed", "url": url, **extra}


def test_rss_atom_and_rdf_are_stored(server, project):
    project.configure(
        [
            feed_source("news", serve(server, "/news.rss", fixture_bytes("feeds/news.rss"))),
            feed_source(
                "dfe",
                serve(
                    server,
                    "/guidance.atom",
                    fixture_bytes("feeds/guidance.atom"),
                    "application/atom+xml",
                ),
            ),
            feed_source(
                "charity",
                serve(
                    server,
                    "/charity.rdf",
                    fixture_bytes("feeds/charity.rdf"),
                    "application/rdf+xml",
                ),
            ),
        ]
    )
    result = project.run("fetch")
    assert result.output.splitlines() == [
        "news     3 new, 0 updated, 0 unchanged",
        "dfe      2 new, 0 updated, 0 unchanged",
        "charity  1 new, 0 updated, 0 unchanged",
        "Fetched 3 sources: 6 new, 0 updated, 0 unchanged, 0 failed.",
    ]
    news = {item["key"]: item for item in project.items("news")}
    assert set(news) == {
        "https://news.example/2024/sharing-nudes-guidance",
        "news-2024-sid",
        "https://news.example/2024/no-guid",  # no <guid>: keyed by link
    }
    assert news["news-2024-sid"]["published"] == "2024-02-09T16:30:00+00:00"
    assert news["https://news.example/2024/sharing-nudes-guidance"]["tags"] == ["Online safety"]
    dfe = project.items("dfe")
    assert dfe[0]["key"] == (
        "tag:www.gov.uk,2005:/government/publications/working-together-to-safeguard-children--2"
    )


def test_fetching_twice_stores_nothing_twice(server, project):
    project.configure(
        [feed_source("news", serve(server, "/news.rss", fixture_bytes("feeds/news.rss")))]
    )
    project.run("fetch")
    second = project.run("fetch")
    # The server sends no validators, so the content hash notices the body is the same.
    assert second.output.splitlines()[0] == "news  not modified"
    assert len(project.items()) == 3


def test_changed_entry_is_updated_not_duplicated(server, project):
    body = fixture_bytes("feeds/news.rss")
    url = serve(server, "/news.rss", body)
    project.configure([feed_source("news", url)])
    project.run("fetch")
    server.clear()
    serve(server, "/news.rss", body.replace(b"round-up</title>", b"round-up (updated)</title>"))
    result = project.run("fetch")
    assert result.output.splitlines()[0] == "news  0 new, 1 updated, 2 unchanged"
    titles = [item["title"] for item in project.items()]
    assert len(titles) == 3 and "Safer Internet Day 2024 round-up (updated)" in titles


def test_conditional_get_round_trip(server, project):
    body = fixture_bytes("feeds/news.rss")
    seen_headers = []

    def handler(request):
        seen_headers.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(body, content_type=RSS, headers={"ETag": '"v1"'})

    server.expect_request("/news.rss").respond_with_handler(handler)
    project.configure([feed_source("news", server.url_for("/news.rss"))])
    project.run("fetch")
    result = project.run("fetch")
    assert result.output.splitlines()[0] == "news  not modified"
    assert "If-None-Match" not in seen_headers[0]
    assert seen_headers[1]["If-None-Match"] == '"v1"'
    assert seen_headers[0]["User-Agent"].startswith("la-safeguarding-publisher/")


def test_broken_sources_are_reported_and_others_still_run(server, project):
    def never_answers_in_time(request):
        time.sleep(2.5)
        return Response(fixture_bytes("feeds/news.rss"), content_type=RSS)

    server.expect_request("/slow.rss").respond_with_handler(never_answers_in_time)
    project.configure(
        [
            feed_source("good", serve(server, "/news.rss", fixture_bytes("feeds/news.rss"))),
            feed_source(
                "malformed", serve(server, "/malformed.xml", fixture_bytes("feeds/malformed.xml"))
            ),
            feed_source("error", serve(server, "/500", "oops", "text/plain", status=500)),
            feed_source("slow", server.url_for("/slow.rss")),
            feed_source(
                "html", serve(server, "/news", fixture_bytes("feeds/not-a-feed.html"), "text/html")
            ),
            feed_source("refused", "http://127.0.0.1:9/feed.xml"),
        ]
    )
    result = project.run("fetch", expect=1)
    lines = result.output.splitlines()
    assert lines[0] == "good       3 new, 0 updated, 0 unchanged"
    assert lines[1].startswith("malformed  FAILED: unreadable feed:")
    assert lines[2] == "error      FAILED: HTTP 500 Internal Server Error"
    assert lines[3] == "slow       FAILED: timed out after 1s"
    assert lines[4].startswith("html       FAILED: not a feed, and the page at http://127.0.0.1:")
    assert lines[5].startswith("refused    FAILED: could not connect:")
    assert lines[6] == "Fetched 6 sources: 3 new, 0 updated, 0 unchanged, 5 failed."
    assert len(project.items()) == 3

    health = {
        row["id"]: row for row in json.loads(project.run("sources", "--format", "json").output)
    }
    assert health["good"]["last_error"] is None and health["good"]["last_success"]
    assert health["error"]["last_error"] == "HTTP 500 Internal Server Error"
    assert health["error"]["consecutive_failures"] == 1


def test_fetch_one_source_only(server, project):
    project.configure(
        [
            feed_source("news", serve(server, "/news.rss", fixture_bytes("feeds/news.rss"))),
            feed_source(
                "dfe", serve(server, "/guidance.atom", fixture_bytes("feeds/guidance.atom"))
            ),
        ]
    )
    result = project.run("fetch", "--source", "dfe")
    assert result.output.splitlines()[0] == "dfe  2 new, 0 updated, 0 unchanged"
    assert project.run("fetch", "--source", "nope", expect=2).output.endswith(
        "Invalid value for --source: no source with id nope\n"
    )


def test_items_since_filters_by_date(server, project):
    project.configure(
        [feed_source("news", serve(server, "/news.rss", fixture_bytes("feeds/news.rss")))]
    )
    project.run("fetch")
    recent = json.loads(project.run("items", "--since", "2024-02-09", "--format", "json").output)
    assert [item["key"] for item in recent] == [
        "https://news.example/2024/sharing-nudes-guidance",
        "news-2024-sid",
    ]
    text = project.run("items", "--source", "news").output
    assert text.splitlines()[0] == "2024-02-20  [news] New guidance on sharing nudes and semi-nudes"
    assert "not a date" in project.run("items", "--since", "last week", expect=2).output


def test_feeds_are_fetched_through_the_proxy_the_environment_names(server, project, monkeypatch):
    """LA networks reach the web through a proxy named in HTTP(S)_PROXY; NO_PROXY exempts."""
    serve(server, "/news.rss", fixture_bytes("feeds/news.rss"))  # the proxy answers for all
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    project.configure([feed_source("news", "http://feeds.example/news.rss")])
    monkeypatch.setenv("HTTP_PROXY", server.url_for("/").rstrip("/"))
    project.run("fetch")
    assert len(project.items("news")) == 3
    asked = {(request.headers["Host"], request.path) for request, _ in server.log}
    assert ("feeds.example", "/news.rss") in asked
    assert {host for host, _ in asked} == {"feeds.example"}

    monkeypatch.setenv("NO_PROXY", "feeds.example")  # the same host, now direct: unreachable
    result = project.run("fetch", expect=None)
    assert "could not connect" in result.output
