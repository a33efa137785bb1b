"""The web app end to end in headless Chromium: the app served by waitress on 127.0.0.1,
mail delivered to a real aiosmtpd, axe-core on every page state (forms in error too)."""

import re
import socket
import threading

import pytest
from smtp_server import RecordingHandler, SmtpServer
from waitress import create_server

from conftest import axe_violations
from publisher.config import load_config
from publisher.sources import source_kinds
from publisher.store import Store
from publisher.subscribers import Subscriber
from publisher.users import add_user
from publisher.web import create_app, limiter

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def served(project):
    """The web app on a free port, sending mail to a local SMTP server; yields
    (base url, SMTP handler, store)."""
    handler = RecordingHandler()
    listening = socket.create_server(("127.0.0.1", 0))  # its port is the site's address
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    with SmtpServer(handler) as smtp:
        project.configure(
            [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}],
            settings={"site_url": f"{base}/"},
            delivery={
                "via": "smtp",
                "rate": 0,
                "retries": 0,
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
            },
        )
        store = Store(project.data_dir)
        for email, role in (("ed@council.example", "editor"), ("ap@council.example", "approver")):
            add_user(store, email, role, PASSWORD)
        config = load_config(project.config_path, source_kinds())
        app = create_app(config, project.data_dir, project.path / "site")
        limiter.reset()
        server = create_server(app, sockets=[listening], threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield base, handler, store
        finally:
            server.close()
            thread.join(timeout=5)
            store.close()


class Visit:
    """A browser tab that checks accessibility on every page state it sees."""

    def __init__(self, page):
        self.page = page
        self.problems = {}

    def check(self, label: str) -> None:
        if report := axe_violations(self.page):
            self.problems[label] = report

    def assert_accessible(self) -> None:
        assert not self.problems, "\n".join(f"{k}:\n{v}" for k, v in self.problems.items())


@pytest.fixture
def visit(chromium):
    context = chromium.new_context()
    tab = Visit(context.new_page())
    yield tab
    context.close()
    tab.assert_accessible()


def wait_for(condition, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_school_subscribes_confirms_manages_and_unsubscribes(served, visit):
    base, mail, store = served
    page = visit.page
    page.goto(f"{base}/subscribe")
    visit.check("subscribe")
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    visit.check("subscribe, with errors")

    page.get_by_label("Email address").fill("Jo.Patel@Oak-Primary.example")
    page.get_by_label("Your name (optional)").fill("Jo Patel")
    page.get_by_label("DSLs").check()
    page.get_by_label("Weekly digest").check()
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    visit.check("check your email")

    wait_for(lambda: mail.messages)
    [message] = mail.messages
    assert message["To"] == "Jo Patel <jo.patel@oak-primary.example>"
    assert store.subscribers() == []  # nothing before confirmation
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/subscribe/confirm/\S+", text).group()
    page.goto(link)
    visit.check("confirm")
    page.get_by_role("button", name="Confirm my subscription").click()
    assert page.get_by_role("heading", name="You are subscribed").is_visible()
    visit.check("confirmed")
    [jo] = store.subscribers()
    assert (jo.email, jo.audiences, jo.frequency) == (
        "jo.patel@oak-primary.example",
        ("dsls",),
        "weekly",
    )

    page.get_by_role("link", name="change what you get or unsubscribe").click()
    visit.check("manage")
    page.get_by_label("Governors").check()
    page.get_by_label("Monthly bulletin only").check()
    page.get_by_role("button", name="Save preferences").click()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    visit.check("manage, saved")
    [jo] = store.subscribers()
    assert (jo.audiences, jo.frequency) == (("dsls", "governors"), "monthly")

    page.get_by_role("link", name="Unsubscribe from everything").click()
    visit.check("unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", name="You are unsubscribed").is_visible()
    visit.check("unsubscribed")
    assert store.unsubscribed() == {"jo.patel@oak-primary.example"}


def sign_in(visit, base, email, password=PASSWORD, label=None):
    page = visit.page
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if label:
        visit.check(label)


def test_an_editor_drafts_and_another_approves_publishes_and_sends(served, visit, chromium):
    base, mail, store = served
    with store.transaction():
        store.save_subscribers(
            [
                Subscriber("dsl@oak.example", "Jo", "Oak Primary", ("dsls",)),
                Subscriber("head@ash.example", "Sam", "Ash Academy", ("headteachers",)),
            ]
        )
    page = visit.page
    page.goto(f"{base}/login")
    visit.check("sign in")
    sign_in(visit, base, "ed@council.example", "wrong password", label="sign in, with errors")
    assert page.get_by_role("heading", name="There is a problem").is_visible()

    sign_in(visit, base, "ed@council.example", label="changes inbox")
    page.get_by_role("link", name="MI sheets").click()
    visit.check("MI sheets")
    page.get_by_role("link", name="Create an MI sheet").click()
    page.get_by_role("button", name="Create draft").click()
    visit.check("create, with errors")
    page.get_by_label("Title").fill("Filtering and monitoring standards")
    page.get_by_label("DSLs").check()
    page.get_by_role("button", name="Create draft").click()
    visit.check("edit")
    text = page.get_by_label("The sheet").input_value()
    body = "## Summary\n\nCheck your **filtering** against the standards.\n"
    page.get_by_label("The sheet").fill(text.replace("due: null", "due: 7") + body)
    page.get_by_role("button", name="Preview").click()
    assert page.locator("section.preview h2", has_text="Summary").is_visible()
    email_preview = page.frame_locator("iframe.email-preview")
    assert email_preview.get_by_text("Filtering and monitoring standards").first.is_visible()
    assert email_preview.locator("h2", has_text="Summary").is_visible()  # markdown, not tags
    visit.check("edit, preview")
    page.get_by_role("button", name="Save draft").click()
    visit.check("MI sheet, draft")
    assert page.get_by_role("button", name="Approve").count() == 0  # editors cannot
    page.get_by_role("button", name="Sign out").click()

    sign_in(visit, base, "ap@council.example")
    page.get_by_role("link", name="MI sheets").click()
    page.get_by_role("link", name="draft #1").click()
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_text("Approved").first.is_visible()
    page.get_by_role("button", name="Publish").click()
    visit.check("MI sheet, published")
    assert page.get_by_role("cell", name="DSLs").is_visible()
    page.get_by_role("button", name=re.compile(r"^Send MI")).click()
    assert page.get_by_text("Sent 1, failed 0").is_visible()
    visit.check("MI sheet, sent")
    assert page.get_by_role("cell", name="dsl@oak.example").is_visible()
    assert mail.count_by_recipient() == {"dsl@oak.example": 1}

    for name in ("Subscribers", "Sources", "Changes", "Bulletins"):
        page.get_by_role("link", name=name, exact=True).click()
        visit.check(name)
    page.get_by_role("button", name="Compose").click()
    visit.check("bulletin composer")
    page.get_by_label("Editorial").fill("intro: [unclosed")
    page.get_by_role("button", name="Preview").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    visit.check("bulletin composer, with errors")

    # On a phone (WCAG 1.4.10 reflow): the team's tables scroll in their own labelled box,
    # never the page.
    page.set_viewport_size({"width": 320, "height": 700})
    for name in ("MI sheets", "Subscribers", "Sources", "Bulletins"):
        with page.expect_navigation():  # measured on the new page, not the one before
            page.get_by_role("link", name=name, exact=True).click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, name
        for table in page.locator("table").all():
            region = table.locator("xpath=..")
            assert region.get_attribute("role") == "region", name
            assert region.get_attribute("tabindex") == "0", name
        visit.check(f"{name}, 320 px wide")
