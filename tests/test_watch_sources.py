"""The page watcher and GOV.UK discovery, through the CLI against a real local server."""

import dataclasses

from werkzeug import Response

from conftest import fixture_bytes
from publisher import hookimpl


class Sequence:
    """Serves whichever fixture the test last chose at one path."""

    def __init__(self, server, path, content_type):
        self.body = b""
        self.requests = []
        self.content_type = content_type

        def respond(request):
            self.requests.append(request.args)
            return Response(self.body, content_type=self.content_type)

        server.expect_request(path).respond_with_handler(respond)

    def serve(self, fixture):
        self.body = fixture_bytes(fixture)


def test_page_change_is_detected_with_a_readable_diff(server, project):
    page = Sequence(server, "/guidance", "text/html")
    project.configure([{"id": "regulator", "kind": "page", "url": server.url_for("/guidance")}])
    page.serve("pages/guidance-v1.html")
    assert project.run("check").stdout == ""

    page.serve("pages/guidance-v1-chrome.html")  # only the clock in the header moved
    assert project.run("check").stdout == ""

    page.serve("pages/guidance-v2.html")
    result = project.run("check")
    assert "MAJOR CHANGE: Online safety guidance for schools | Example regulator" in result.stdout
    [change] = project.changes()
    assert change["statutory"] is False
    assert change["note"] == "Page text changed: 2 lines added, 2 removed."
    assert change["details"] == "\n".join(
        [
            "@@ -1,6 +1,6 @@",
            " Online safety guidance for schools",
            "-Last updated: 10 January 2024",
            "+Last updated: 6 March 2024",
            " Schools should have appropriate filtering and monitoring systems in place.",
            " What schools must do",
            "-Review filtering and monitoring provision at least annually.",
            "+Review filtering and monitoring provision at least termly, and after any incident.",
            " Assign a member of the senior leadership team to be responsible.",
        ]
    )
    assert "trackPageView" not in change["details"]


def test_page_selector_that_matches_nothing_is_a_clear_error(server, project):
    page = Sequence(server, "/guidance", "text/html")
    page.serve("pages/guidance-v1.html")
    project.configure(
        [
            {
                "id": "regulator",
                "kind": "page",
                "url": server.url_for("/guidance"),
                "selector": "#no-such-thing",
            }
        ]
    )
    result = project.run("fetch", expect=1)
    assert "FAILED: no element matches the selector '#no-such-thing' on this page" in result.output


def test_govuk_search_notices_a_new_statutory_document(server, project):
    search = Sequence(server, "/api/search.json", "application/json")
    project.configure(
        [
            {
                "id": "dfe-statutory",
                "kind": "govuk-search",
                "organisations": ["department-for-education"],
                "document_types": ["statutory_guidance"],
            }
        ],
        settings={"govuk_base_url": server.url_for("").rstrip("/"), "timeout": 2},
    )
    search.serve("govuk/search-v1.json")
    assert project.run("check").stdout == ""  # the first listing is a baseline
    assert search.requests[0].getlist("filter_organisations") == ["department-for-education"]
    assert search.requests[0].getlist("filter_content_store_document_type") == [
        "statutory_guidance"
    ]
    assert search.requests[0]["order"] == "-public_timestamp"

    search.serve("govuk/search-v2.json")
    result = project.run("check")
    assert result.stdout.startswith("STATUTORY NEW CHANGE: Mobile phones in schools\n")
    [change] = project.changes()
    assert change["kind"] == "new"
    assert change["url"] == server.url_for("/government/publications/mobile-phones-in-schools")
    assert project.run("check").stdout == ""


def test_a_plugin_can_reclassify_changes(server, project, register_plugin):
    class EverythingOnThisSiteIsStatutory:
        @hookimpl
        def classify_change(self, change, source):
            if source.id == "regulator":
                return dataclasses.replace(change, statutory=True)
            return None

    register_plugin(EverythingOnThisSiteIsStatutory(), name="reclassify-test")
    page = Sequence(server, "/guidance", "text/html")
    project.configure([{"id": "regulator", "kind": "page", "url": server.url_for("/guidance")}])
    page.serve("pages/guidance-v1.html")
    project.run("check")
    page.serve("pages/guidance-v2.html")
    assert "STATUTORY MAJOR CHANGE" in project.run("check").stdout
    assert project.changes()[0]["statutory"] is True
