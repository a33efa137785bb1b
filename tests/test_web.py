"""The web app through a real HTTP client (Flask's test client over the WSGI app): signing
in, roles, four eyes, CSRF, signed links, one-click unsubscribe, no enumeration."""

import email
import email.policy
import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from publisher.config import load_config
from publisher.links import make_token
from publisher.sources import source_kinds
from publisher.store import Store
from publisher.subscribers import Subscriber
from publisher.users import add_user
from publisher.web import create_app, limiter

NEWS = [{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def web(project):
    """The app on a project with an editor, two approvers and an admin."""

    def make(delivery=None, **settings):
        project.configure(NEWS, settings=settings, **({"delivery": delivery} if delivery else {}))
        store = Store(project.data_dir)
        for address, role in (
            ("ed@council.example", "editor"),
            ("ap@council.example", "approver"),
            ("ap2@council.example", "approver"),
            ("admin@council.example", "admin"),
        ):
            add_user(store, address, role, PASSWORD)
        store.close()
        config = load_config(project.config_path, source_kinds())
        app = create_app(config, project.data_dir, project.path / "site")
        limiter.reset()  # per-client limits are counted in memory, across apps
        return app

    return make


def csrf_token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, email, password=PASSWORD, next_path=None):
    token = csrf_token(client, "/login")
    query = f"?next={next_path}" if next_path is not None else ""
    return client.post(
        f"/login{query}", data={"email": email, "password": password, "csrf_token": token}
    )


def post(client, path, data=None, page=None):
    """A form post with the CSRF token of ``page`` (default: the team inbox)."""
    token = csrf_token(client, page or "/team/")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def draft(client, title="Filtering standards"):
    page = client.get("/team/mi/new").get_data(as_text=True)
    form = dict(re.findall(r'name="(csrf_token|form_id)" value="([^"]+)"', page))
    response = client.post(
        "/team/mi/new", data={**form, "title": title, "type": "Action", "audiences": ["dsls"]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/team/mi/(\d+)/edit", response.headers["Location"]).group(1))


# Signing in --------------------------------------------------------------------------------


def test_team_pages_need_signing_in(web):
    client = web().test_client()
    for path in ("/team/", "/team/mi", "/team/subscribers", "/team/sources", "/team/audit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_sets_a_safe_session_cookie(web):
    client = web().test_client()
    response = sign_in(client, "Ed@Council.Example")
    assert response.headers["Location"] == "/team/"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "publisher_session" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http://localhost: a Secure cookie would never come back
    assert client.get("/team/").status_code == 200


def test_cookies_are_secure_when_the_site_is_https(web):
    client = web(site_url="https://safeguarding.testshire.example/").test_client()
    response = sign_in(client, "ed@council.example")
    assert all("Secure" in cookie for cookie in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("password", ["wrong", "", PASSWORD.upper(), PASSWORD + " "])
def test_wrong_passwords_are_refused_with_an_error_summary(web, password):
    client = web().test_client()
    response = sign_in(client, "ed@council.example", password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "<title>Error: Sign in" in page
    assert client.get("/team/").status_code == 302


def test_unknown_accounts_get_the_same_answer_as_wrong_passwords(web):
    client = web().test_client()
    unknown = sign_in(client, "nobody@council.example").get_data(as_text=True)
    wrong = sign_in(client, "ed@council.example", "wrong password!").get_data(as_text=True)
    strip = re.compile(r'name="csrf_token" value="[^"]+"|value="[^"]*@council.example"')
    assert strip.sub("", unknown) == strip.sub("", wrong)


def test_an_account_locks_after_five_failures(web):
    client = web().test_client()
    for _ in range(5):
        assert sign_in(client, "ed@council.example", "not the password").status_code == 400
    assert sign_in(client, "ed@council.example").status_code == 400  # right, but locked


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example/",
        "https://evil.example/team/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%0d%0aLocation:%20https://evil.example",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(web, next_path):
    client = web().test_client()
    response = sign_in(client, "ed@council.example", next_path=next_path)
    assert response.headers["Location"] == "/team/"


def test_next_returns_to_the_page_asked_for(web):
    client = web().test_client()
    assert (
        sign_in(client, "ed@council.example", next_path="/team/mi").headers["Location"]
        == "/team/mi"
    )


def test_logout_everywhere_ends_every_session(web):
    app = web()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "ed@council.example")
    sign_in(phone, "ed@council.example")
    post(laptop, "/logout", {"everywhere": "yes"})
    assert laptop.get("/team/").status_code == 302
    assert phone.get("/team/").status_code == 302


# CSRF and roles ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged", "a" * 91])
def test_forms_without_a_valid_csrf_token_are_refused(web, token):
    client = web().test_client()
    sign_in(client, "ap@council.example")
    data = {"title": "x", "type": "Action", "audiences": ["dsls"]}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/team/mi/new", data=data)
    assert response.status_code == 403
    assert "This form has expired" in response.get_data(as_text=True)
    login = client.post("/login", data={"email": "ed@council.example", "password": PASSWORD})
    assert login.status_code == 403


def test_editors_cannot_approve_publish_send_or_read_the_audit_log(web):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    notice_id = draft(client)
    for action in ("approve", "publish", "send"):
        assert post(client, f"/team/mi/{notice_id}/{action}").status_code == 403
    assert client.get("/team/audit").status_code == 403
    assert post(client, "/team/sources").status_code == 403


def test_four_eyes_an_approver_cannot_approve_their_own_draft(web):
    app = web()
    author, other = app.test_client(), app.test_client()
    sign_in(author, "ap@council.example")
    notice_id = draft(author)
    refused = post(author, f"/team/mi/{notice_id}/approve")
    assert "another approver must approve it" in author.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    sign_in(other, "ap2@council.example")
    approved = post(other, f"/team/mi/{notice_id}/approve")
    assert "Approved" in other.get(approved.headers["Location"]).get_data(as_text=True)


def test_a_one_person_team_can_relax_four_eyes(web):
    client = web(four_eyes=False).test_client()
    sign_in(client, "ap@council.example")
    notice_id = draft(client)
    approved = post(client, f"/team/mi/{notice_id}/approve")
    assert "Approved" in client.get(approved.headers["Location"]).get_data(as_text=True)


def test_every_action_is_in_the_audit_log(web):
    app = web()
    editor, approver, admin = app.test_client(), app.test_client(), app.test_client()
    sign_in(editor, "ed@council.example")
    notice_id = draft(editor, "Online safety audit")
    sign_in(approver, "ap@council.example")
    post(approver, f"/team/mi/{notice_id}/approve")
    post(approver, f"/team/mi/{notice_id}/publish")
    sign_in(admin, "admin@council.example")
    log = admin.get("/team/audit").get_data(as_text=True)
    for line in (
        "drafted MI sheet #1 Online safety audit",
        "approved MI sheet #1 Online safety audit",
        "published MI sheet MI 1/",
        "signed in",
    ):
        assert line in log


# Schools: subscribing, signed links, unsubscribing ----------------------------------------


def subscribe(client, email="Jo@Oak.example", **fields):
    token = csrf_token(client, "/subscribe")
    data = {"email": email, "audiences": ["dsls"], "frequency": "weekly", **fields}
    return client.post("/subscribe", data={**data, "csrf_token": token})


def outbox(project):
    return sorted((project.data_dir / "outbox").glob("*Confirm-your-subscription*.eml"))


def test_subscribing_sends_a_confirmation_and_nothing_else(web, project):
    client = web().test_client()
    response = subscribe(client)
    assert response.headers["Location"] == "/subscribe/check-your-email"
    [confirmation] = outbox(project)
    message = email.message_from_bytes(confirmation.read_bytes(), policy=email.policy.default)
    assert message["To"] == "jo@oak.example"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://localhost:8000(/subscribe/confirm/[\w.\-]+)", text).group(1)
    store = Store(project.data_dir)
    assert store.subscribers() == []  # not before confirmation
    page = client.get(link)
    assert "Confirm that <strong>jo@oak.example</strong>" in page.get_data(as_text=True)
    post(client, link, page="/subscribe")
    [subscriber] = store.subscribers()
    assert (subscriber.email, subscriber.audiences, subscriber.frequency) == (
        "jo@oak.example",
        ("dsls",),
        "weekly",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not an address"}, "Enter an email address in the correct format"),
        ({"email": ""}, "Enter an email address in the correct format"),
        ({"audiences": []}, "Select at least one audience"),
        ({"audiences": ["trustees"]}, "Select at least one audience"),
        ({"frequency": "hourly"}, "Select how often you want to hear from us"),
        ({"name": "x" * 201}, "Keep this to 200 characters or fewer"),
    ],
)
def test_subscribe_form_errors_are_shown_by_field(web, project, fields, message):
    client = web().test_client()
    response = subscribe(client, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert outbox(project) == []


def test_the_same_answer_for_known_and_unknown_addresses_and_a_daily_limit(web, project):
    client = web().test_client()
    answers = {subscribe(client, email).headers["Location"] for email in ["a@b.example"] * 4}
    answers.add(subscribe(client, "someone.else@b.example").headers["Location"])
    assert answers == {"/subscribe/check-your-email"}
    assert len(outbox(project)) == 3 + 1  # three a day to one address
    limited = subscribe(client, "third@b.example")  # five a minute from one client
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)


def test_altered_expired_or_misused_links_are_refused(web, project, monkeypatch):
    client = web().test_client()
    good = make_token(project.data_dir, "manage", "jo@oak.example")
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: 1_000_000_000.0)
        expired = make_token(project.data_dir, "confirm", "jo@oak.example")
    for path, message in (
        (f"/manage/{good[:-2]}", "not valid"),
        (f"/manage/{good}x", "not valid"),
        (f"/unsubscribe/{good}", "not valid"),  # a manage link is no unsubscribe link
        (f"/subscribe/confirm/{good}", "not valid"),
        (f"/subscribe/confirm/{expired}", "expired"),
        ("/unsubscribe/", "Page not found"),
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert message in response.get_data(as_text=True), path


def test_one_click_unsubscribe_is_a_plain_post_with_no_session(web, project):
    """RFC 8058: the mail provider POSTs 'List-Unsubscribe=One-Click' to the link."""
    app = web()
    store = Store(project.data_dir)
    with store.transaction():
        store.save_subscribers([Subscriber("jo@oak.example", audiences=("dsls",))])
    token = make_token(project.data_dir, "unsubscribe", "jo@oak.example")
    provider = app.test_client()  # no cookies, no CSRF token
    response = provider.post(
        f"/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert store.unsubscribed() == {"jo@oak.example"}
    assert store.subscribers() == []


def test_manage_changes_preferences_through_the_signed_link(web, project):
    app = web()
    store = Store(project.data_dir)
    with store.transaction():
        store.save_subscribers([Subscriber("jo@oak.example", "Jo", audiences=("dsls",))])
    client = app.test_client()
    path = f"/manage/{make_token(project.data_dir, 'manage', 'jo@oak.example')}"
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "name": "Jo Patel",
            "school": "Oak Primary",
            "audiences": ["dsls", "governors"],
            "frequency": "monthly",
        },
    )
    assert "Your preferences are saved." in response.get_data(as_text=True)
    [jo] = store.subscribers()
    assert (jo.name, jo.audiences, jo.frequency) == ("Jo Patel", ("dsls", "governors"), "monthly")


def test_the_built_site_is_served_and_nothing_outside_it(web, project):
    client = web().test_client()
    assert client.get("/").status_code == 200  # built on first request
    assert client.get("/updates.html").status_code == 200
    for path in ("/../feeds.yaml", "/%2e%2e/feeds.yaml", "/..%2ffeeds.yaml", "/data/publisher.db"):
        assert client.get(path).status_code == 404, path
    headers = client.get("/subscribe").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_publisher_serve_runs_the_app(project):
    project.configure(NEWS)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        project.argv("serve", "--port", str(port)), stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == (
            f"Serving on http://127.0.0.1:{port}/ (team pages: /team/; Ctrl-C to stop)\n"
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/subscribe") as response:
                    assert "Subscribe by email" in response.read().decode()
                    break
            except urllib.error.URLError:
                time.sleep(0.05)
        else:
            pytest.fail("publisher serve did not answer")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_schools_confirm_an_action_sheet_and_the_team_sees_who_has_not(web, project):
    app = web()
    project.import_subscribers(
        "dsl@oak.example,Jo,Oak Primary,dsls",
        "head@oak.example,Sam,Oak Primary,dsls",
        "dsl@ash.example,Kim,Ash Academy,dsls",
    )
    project.publish_sheet("Filtering audit", "2024-01-03 10:00", "--due", "5")
    project.run("send", "--mi", "1/24")

    client = app.test_client()
    path = f"/actions/{make_token(project.data_dir, 'action', ['1/24', 'head@oak.example'])}"
    assert "Confirm we have done this" in client.get(path).get_data(as_text=True)
    token = csrf_token(client, path)
    done = client.post(path, data={"csrf_token": token, "note": "  Checked with  our provider "})
    assert "1/24 is confirmed as done" in done.get_data(as_text=True)
    assert client.get(f"{path}x").status_code == 400  # altered

    rows = json.loads(project.run("mi", "status", "1/24", "--format", "json").output)
    assert [(row["school"], row["status"], row["confirmed_by"], row["note"]) for row in rows] == [
        ("Ash Academy", "overdue", None, ""),
        ("Oak Primary", "confirmed", "head@oak.example", "Checked with our provider"),
    ]
    text = project.run("mi", "status", "1/24").output
    assert text.startswith("MI 1/24 ACTION by 10/01/2024: Filtering audit: 1 confirmed, 0 waiting")
    csv_lines = project.run("mi", "status", "1/24", "--format", "csv").output.splitlines()
    assert csv_lines[0] == "school,status,confirmed_by,confirmed_at,note"
    assert csv_lines[1] == "Ash Academy,overdue,,,"

    approver = app.test_client()
    sign_in(approver, "ap@council.example")
    page = approver.get("/team/mi/1").get_data(as_text=True)
    assert "Action tracking" in page and "Overdue" in page and "Checked with our provider" in page


def test_information_sheets_take_no_confirmations(web, project):
    app = web()
    project.run(
        "mi", "new", "--title", "For information", "--type", "Information", "--audience", "dsls"
    )
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    client = app.test_client()
    path = f"/actions/{make_token(project.data_dir, 'action', ['1/24', 'jo@oak.example'])}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 400
    assert "asks for no action to confirm" in response.get_data(as_text=True)


def test_the_bulletin_is_composed_previewed_saved_and_sent_from_the_browser(web, project, tmp_path):
    app = web()
    (tmp_path / "s.csv").write_text(
        "email,name,school,audiences\ndsl@oak.example,Jo,Oak,dsls\nhead@ash.example,Sam,Ash,headteachers\n"
    )
    project.run("subscribers", "import", str(tmp_path / "s.csv"))
    project.run("mi", "new", "--title", "Filtering audit", "--audience", "dsls", "--due", "5")
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    editor = app.test_client()
    sign_in(editor, "ed@council.example")
    page = editor.get("/team/bulletins/2024-01?audience=dsls").get_data(as_text=True)
    assert "# intro: a paragraph at the top of every edition." in page  # the template
    assert "MI 1/24" in page
    editorial = (
        "intro: Welcome to January.\n"
        "add:\n"
        "  - title: Training dates for DSLs\n"
        "    url: https://www.testshire.example/training\n"
        "    section: From the team\n"
    )
    token = csrf_token(editor, "/team/bulletins/2024-01")
    preview = editor.post(
        "/team/bulletins/2024-01",
        data={"csrf_token": token, "text": editorial, "action": "preview", "audience": "dsls"},
    ).get_data(as_text=True)
    assert "Training dates for DSLs" in preview and "Welcome to January." in preview
    broken = editor.post(
        "/team/bulletins/2024-01",
        data={"csrf_token": token, "text": "intro: [unclosed", "action": "preview"},
    )
    assert broken.status_code == 400 and "not valid YAML" in broken.get_data(as_text=True)
    saved = editor.post(
        "/team/bulletins/2024-01",
        data={"csrf_token": token, "text": editorial, "action": "save", "audience": "dsls"},
    )
    assert saved.status_code == 302
    shown = project.run("bulletin", "show", "--month", "2024-01", "--audience", "dsls").output
    assert "Welcome to January." in shown and "Training dates for DSLs" in shown
    rebuilt = project.run("bulletin", "build", "--month", "2024-01").output  # same editorial
    assert rebuilt.splitlines()[0].endswith(": 2 entries")

    assert post(editor, "/team/bulletins/2024-01/send").status_code == 403
    approver = app.test_client()
    sign_in(approver, "ap@council.example")
    sent = post(approver, "/team/bulletins/2024-01/send")
    assert "Sent 2, failed 0" in approver.get(sent.headers["Location"]).get_data(as_text=True)
    again = post(approver, "/team/bulletins/2024-01/send")
    assert "Sent 0, failed 0" in approver.get(again.headers["Location"]).get_data(as_text=True)


def test_every_email_carries_the_readers_own_links_and_they_work(web, project):
    """Manage, unsubscribe (the List-Unsubscribe header too) and, on an ACTION sheet,
    confirm: followed from the emails as sent, in the app as served."""
    app = web(site_url="http://localhost/")
    project.import_subscribers(
        "dsl@oak.example,Jo,Oak Primary,dsls", "dsl@ash.example,Kim,Ash Academy,dsls"
    )
    project.publish_sheet("Filtering audit", "2024-01-03 10:00", "--due", "5")
    project.run("send", "--mi", "1/24")
    messages = {}
    for path in (project.data_dir / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages[message["To"].addresses[0].addr_spec] = message
    jo, kim = messages["dsl@oak.example"], messages["dsl@ash.example"]
    text = jo.get_body(("plain",)).get_content()
    links = dict(re.findall(r"^(Change what you receive|Unsubscribe): (\S+)$", text, re.M))
    confirm = re.search(r"confirm it \(one click, by 10 January 2024\):\n(\S+)", text).group(1)
    assert kim.get_body(("plain",)).get_content().count(links["Unsubscribe"]) == 0  # her own

    html = jo.get_body(("html",)).get_content()
    assert f'href="{confirm}"' in html and f'href="{links["Change what you receive"]}"' in html
    client = app.test_client()
    local = lambda url: url.removeprefix("http://localhost")  # noqa: E731
    manage = client.get(local(links["Change what you receive"]))
    assert "dsl@oak.example" in manage.get_data(as_text=True)
    token = csrf_token(client, local(confirm))
    client.post(local(confirm), data={"csrf_token": token})
    status = json.loads(project.run("mi", "status", "1/24", "--format", "json").output)
    assert {row["school"]: row["status"] for row in status}["Oak Primary"] == "confirmed"

    one_click = re.search(r"<(http://localhost/unsubscribe/[^>]+)>", kim["List-Unsubscribe"])
    assert kim["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.post(local(one_click.group(1))).status_code == 200  # no session, no CSRF
    remaining = project.run("subscribers", "list").output
    assert "dsl@oak.example" in remaining and "dsl@ash.example" not in remaining


def test_an_approver_retries_the_failed_recipients_from_the_send_log(web, project):
    from smtp_server import RecordingHandler, SmtpServer

    handler = RecordingHandler(refuse={"dsl@ash.example": "550 5.1.1 No such user"})
    with SmtpServer(handler) as server:
        smtp = {"host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 5}
        app = web(delivery={"via": "smtp", "rate": 0, "retry_backoff": 0, "smtp": smtp})
        project.import_subscribers(
            "dsl@oak.example,Jo,Oak Primary,dsls", "dsl@ash.example,Kim,Ash Academy,dsls"
        )
        project.publish_sheet("Filtering audit", "2024-01-03 10:00", "--due", "5")
        approver = app.test_client()
        sign_in(approver, "ap@council.example")
        post(approver, "/team/mi/1/send", page="/team/mi/1")
        page = approver.get("/team/mi/1").get_data(as_text=True)
        assert "550 5.1.1 No such user" in page and "Retry the 1 failed" in page
        handler.refuse.clear()
        retried = post(approver, "/team/mi/1/retry", page="/team/mi/1")
        assert "Sent 1, failed 0" in approver.get(retried.headers["Location"]).get_data(
            as_text=True
        )
        assert sorted(handler.recipients) == ["dsl@ash.example", "dsl@oak.example"]
        assert "Retry the" not in approver.get("/team/mi/1").get_data(as_text=True)
