"""What the web app trusts: a self-registered reader never confirms for a school, links in
emails never come from the request's Host, a form sent twice makes one draft, and titles
are checked and cleaned as everywhere else."""

import email
import email.policy
import json
import re
import threading
from datetime import datetime, timedelta

import pytest
from test_mi_front_matter import change
from test_web import csrf_token, draft, post, sign_in
from test_web import web as web  # noqa: F401, PLC0414 - the 'web' fixture, shared

from publisher import notices
from publisher.config import load_config
from publisher.links import make_token
from publisher.sources import source_kinds
from publisher.store import Store

SITE = "http://safeguarding.testshire.example/"  # http: the test client sends no Secure cookie


def messages(project, subject: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted((project.data_dir / "outbox").glob(f"*{subject}*.eml"))
    ]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def self_subscribe(client, project, address: str, school: str, site: str = SITE) -> None:
    """Subscribe through /subscribe and confirm from the emailed link, as a stranger can."""
    token = csrf_token(client, "/subscribe")
    data = {"email": address, "name": "Mallory", "school": school, "audiences": ["dsls"]}
    client.post("/subscribe", data={**data, "frequency": "immediately", "csrf_token": token})
    [message] = [m for m in messages(project, "Confirm") if address in str(m["To"])]
    link = re.search(rf"{re.escape(site)}(subscribe/confirm/\S+)", text_of(message)).group(1)
    post(client, f"/{link}", page="/subscribe")


def confirm_done(client, project, address: str, number: str) -> None:
    path = f"/actions/{make_token(project.data_dir, 'action', [number, address])}"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 200


def status(project, number: str) -> dict:
    rows = json.loads(project.run("mi", "status", number, "--format", "json").output)
    return {row["school"]: (row["status"], row["confirmed_by"]) for row in rows}


def publish_and_send(project) -> str:
    """A sheet for DSLs, due in 20 working days, published yesterday and sent; its number."""
    published = datetime.now() - timedelta(days=1)
    number = project.publish_sheet("Filtering audit", f"{published:%Y-%m-%d %H:%M}", "--due", "20")
    project.run("send", "--mi", number)
    return number


# 1. Only readers the LA recognises confirm for a school ------------------------------------


@pytest.mark.parametrize("typed", ["Oak Primary", "  oak   primary ", "OAK PRIMARY"])
def test_a_self_registered_reader_does_not_confirm_for_the_school(web, project, typed):
    app = web(site_url=SITE, reminder_days=30)
    project.import_subscribers(
        "dsl@oak.example,Jo,Oak Primary,dsls", "dsl@ash.example,Kim,Ash Academy,dsls"
    )
    client = app.test_client()
    self_subscribe(client, project, "attacker@evil.example", typed)
    number = publish_and_send(project)
    confirm_done(client, project, "attacker@evil.example", number)

    schools = status(project, number)
    assert schools["Oak Primary"] == ("waiting", None)
    [apart] = [name for name in schools if "attacker@evil.example" in name]
    assert "self-registered" in apart and schools[apart] == ("confirmed", "attacker@evil.example")
    reminded = project.run("send", "--reminders", "--dry-run").output
    assert "dsl@oak.example" in reminded and "dsl@ash.example" in reminded
    assert "attacker@evil.example" not in reminded  # their own confirmation stops their own

    approver = app.test_client()
    sign_in(approver, "ap@council.example")
    page = approver.get("/team/mi/1").get_data(as_text=True)
    assert "Self-registered" in page


def test_a_reader_who_retypes_their_school_no_longer_confirms_for_it(web, project):
    app = web(site_url=SITE)
    project.import_subscribers(
        "dsl@oak.example,Jo,Oak Primary,dsls", "dsl@ash.example,Kim,Ash Academy,dsls"
    )
    client = app.test_client()
    manage = f"/manage/{make_token(project.data_dir, 'manage', 'dsl@ash.example')}"
    data = {"name": "Kim", "school": "Oak Primary", "audiences": ["dsls"]}
    post(client, manage, {**data, "frequency": "immediately"}, page=manage)
    number = publish_and_send(project)
    confirm_done(client, project, "dsl@ash.example", number)
    assert status(project, number)["Oak Primary"] == ("waiting", None)


def test_keeping_the_school_on_the_preferences_page_keeps_the_reader_recognised(web, project):
    app = web(site_url=SITE)
    project.import_subscribers("dsl@oak.example,Jo,Oak Primary,dsls")
    client = app.test_client()
    manage = f"/manage/{make_token(project.data_dir, 'manage', 'dsl@oak.example')}"
    data = {"name": "Jo B", "school": "Oak Primary", "audiences": ["dsls"]}
    post(client, manage, {**data, "frequency": "immediately"}, page=manage)
    number = publish_and_send(project)
    confirm_done(client, project, "dsl@oak.example", number)
    assert status(project, number)["Oak Primary"] == ("confirmed", "dsl@oak.example")


def test_the_team_importing_a_self_registered_reader_makes_them_the_schools(web, project):
    app = web(site_url=SITE)
    project.import_subscribers("dsl@ash.example,Kim,Ash Academy,dsls")
    client = app.test_client()
    self_subscribe(client, project, "head@oak.example", "Oak Primary")
    project.import_subscribers("head@oak.example,Ann,Oak Primary,dsls")  # the LA vouches
    number = publish_and_send(project)
    confirm_done(client, project, "head@oak.example", number)
    assert status(project, number)["Oak Primary"] == ("confirmed", "head@oak.example")


# 2. Links in emails are under settings.site_url, whatever the Host -------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Host": "evil.example:8443"},
        {"Host": "safeguarding.testshire.example.evil.example"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    ],
)
@pytest.mark.parametrize("site", [SITE, "http://localhost:8000/schools/"])
def test_confirmation_links_ignore_the_host_header(web, project, headers, site):
    client = web(site_url=site).test_client()
    page = client.get("/subscribe", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"email": "head@school.example", "audiences": ["dsls"], "frequency": "weekly"}
    sent = client.post("/subscribe", data={**data, "csrf_token": token}, headers=headers)
    assert sent.status_code == 302
    [message] = messages(project, "Confirm")
    html = message.get_body(("html",)).get_content()
    for part in (text_of(message), html):
        assert "evil.example" not in part
        assert f"{site}subscribe/confirm/" in part


def test_pages_show_reader_links_under_the_site_url(web, project):
    app = web(site_url=SITE)
    project.import_subscribers("dsl@oak.example,Jo,Oak Primary,dsls")
    publish_and_send(project)
    client = app.test_client()
    manage = f"/manage/{make_token(project.data_dir, 'manage', 'dsl@oak.example')}"
    page = client.get(manage, headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in page.replace("@evil.example", "")
    assert f"{SITE}unsubscribe/" in page and f"{SITE}actions/" in page


# Creating a draft twice by double submit --------------------------------------------------


def new_form(client) -> dict:
    page = client.get("/team/mi/new").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|form_id)" value="([^"]+)"', page))
    assert set(fields) == {"csrf_token", "form_id"}
    return fields


def drafts(project) -> list[str]:
    return [
        row["title"] for row in json.loads(project.run("mi", "list", "--format", "json").output)
    ]


def test_sending_the_new_draft_form_twice_makes_one_draft(web, project):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    form = {**new_form(client), "title": "dup", "type": "Action", "audiences": ["dsls"]}
    first = client.post("/team/mi/new", data=form)
    second = client.post("/team/mi/new", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert drafts(project) == ["dup"]
    client.post("/team/mi/new", data={**new_form(client), "title": "another", "type": "Action"})
    assert drafts(project) == ["dup", "another"]


def test_a_form_refused_once_can_be_corrected_and_sent_again(web, project):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    form = {**new_form(client), "type": "Action", "audiences": ["dsls"]}
    refused = client.post("/team/mi/new", data={**form, "title": ""})
    assert refused.status_code == 400
    assert f'value="{form["form_id"]}"' in refused.get_data(as_text=True)
    assert client.post("/team/mi/new", data={**form, "title": "Fixed"}).status_code == 302
    assert client.post("/team/mi/new", data={**form, "title": "Fixed"}).status_code == 302
    assert drafts(project) == ["Fixed"]


@pytest.mark.parametrize("form_id", [None, "", "x" * 5000])
def test_a_new_draft_form_without_its_id_is_refused(web, project, form_id):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    form = {**new_form(client), "title": "No id", "type": "Action"}
    if form_id is None:
        del form["form_id"]
    else:
        form["form_id"] = form_id
    refused = client.post("/team/mi/new", data=form)
    assert refused.status_code == 400
    assert "reload the page" in refused.get_data(as_text=True)
    assert drafts(project) == []


# Titles from web forms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "stored"),
    [("Hi\x00there", "Hithere"), ("Hi\u202ethere", None), (" \tSpaced\n out ", "Spaced out")],
)
def test_web_titles_are_cleaned_not_cut(web, project, title, stored):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    response = client.post(
        "/team/mi/new", data={**new_form(client), "title": title, "type": "Action"}
    )
    assert response.status_code == 302
    [saved] = drafts(project)
    assert "\x00" not in saved and (stored is None or saved == stored)
    assert saved.endswith("there") or saved == "Spaced out"


@pytest.mark.parametrize(("title", "said"), [("x" * 300_000, "200 characters"), ("  ", "empty")])
def test_web_new_refuses_empty_and_long_titles(web, project, title, said):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    response = client.post(
        "/team/mi/new", data={**new_form(client), "title": title, "type": "Action"}
    )
    assert response.status_code == 400 and said in response.get_data(as_text=True)
    assert drafts(project) == []


@pytest.mark.parametrize(
    ("front", "said"),
    [
        ('title: ""\n', "the title is empty"),
        (f"title: {'t' * 201}\n", "keep the title to 200 characters or fewer"),
        ("title: Hi\ndue: 2024-02-30\n", "due &#39;2024-02-30&#39; is not a date"),
        ("title: Hi\naudience: [governors]\n", "did you mean &#39;audiences&#39;?"),
        ("title: Hi\ndue: 9999-12-31\n", "line 3: due 31/12/9999 is too far ahead"),
        ("title: Hi\ndue: 31/12/9999\n", "leave &#39;due&#39; empty if the sheet has none"),
        ("title: Hi\ntitle: Again\n", "duplicate key &#39;title&#39; (first on line 2)"),
    ],
)
def test_the_web_editor_refuses_what_the_cli_refuses(web, project, front, said):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    client.post("/team/mi/new", data={**new_form(client), "title": "Draft", "type": "Action"})
    text = f"---\r\n{front.replace(chr(10), chr(13) + chr(10))}type: Action\r\n---\r\nBody\r\n"
    response = post(client, "/team/mi/1/edit", {"text": text, "action": "save"}, "/team/mi/1/edit")
    assert response.status_code == 400
    assert said in response.get_data(as_text=True)
    assert drafts(project) == ["Draft"]


def test_the_editor_hint_says_a_deleted_field_is_emptied(web):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    client.post("/team/mi/new", data={**new_form(client), "title": "Draft", "type": "Action"})
    page = client.get("/team/mi/1/edit").get_data(as_text=True)
    assert "a field whose line you delete is left empty" in page


def test_the_store_keeps_self_registration_through_a_migration(web, project):
    web()
    store = Store(project.data_dir)
    columns = [row["name"] for row in store.db.execute("PRAGMA table_info(subscribers)")]
    store.close()
    assert "self_service" in columns


# A draft from a detected change, once however often asked ---------------------------------


def store_change(project, title: str = "Keeping children safe in education") -> int:
    store = Store(project.data_dir)
    with store.transaction():
        [saved] = store.save_changes([change("Page 26: paragraph 48 amended", title)])
    store.close()
    return saved.id


def draft_from(client, change_id: int):
    return post(client, f"/team/changes/{change_id}/draft")


def test_drafting_from_a_change_twice_opens_the_same_draft(web, project):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    change_id = store_change(project)
    first, second = draft_from(client, change_id), draft_from(client, change_id)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert drafts(project) == ["Keeping children safe in education: updated guidance"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "A draft from this change already existed: here it is" in page
    fresh = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "already existed" not in fresh


def approved_from_a_change(client, project) -> int:
    """A change drafted into sheet #1 by ``client``, then approved; the change's id."""
    sign_in(client, "ed@council.example")
    change_id = store_change(project)
    draft_from(client, change_id)
    edit_to_finish(project)
    project.run("mi", "approve", "1")
    return change_id


def test_another_editor_and_an_approved_draft_still_get_the_one_draft(web, project):
    app = web()
    client = app.test_client()
    change_id = approved_from_a_change(client, project)
    other = app.test_client()
    sign_in(other, "ap@council.example")
    again = draft_from(other, change_id)
    assert again.status_code == 302 and "/team/mi/1" in again.headers["Location"]
    assert len(drafts(project)) == 1


def test_once_published_a_change_can_be_drafted_again(web, project):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    change_id = store_change(project)
    draft_from(client, change_id)
    edit_to_finish(project)
    project.run("mi", "approve", "1")
    project.run("mi", "publish", "1", "--at", "2024-01-03 10:00")
    again = draft_from(client, change_id)
    assert "/team/mi/2/edit" in again.headers["Location"]
    assert len(drafts(project)) == 2
    assert "/team/mi/2/edit" in draft_from(client, change_id).headers["Location"]
    assert len(drafts(project)) == 2


def test_the_draft_from_a_change_is_found_by_data_not_by_session(web, project):
    app = web()
    change_id = store_change(project)
    for _ in range(2):  # a new browser each time: nothing remembered but the store
        client = app.test_client()
        sign_in(client, "ed@council.example")
        draft_from(client, change_id)
    assert len(drafts(project)) == 1


def edit_to_finish(project) -> None:
    sheet = project.path / "finished.md"
    sheet.write_text("---\ntitle: From the change\ntype: Action\naudiences: [dsls]\n---\nBody\n")
    project.run("mi", "edit", "1", "--file", str(sheet))


def test_a_missing_change_is_not_found(web, project):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    assert draft_from(client, 99).status_code == 404
    assert drafts(project) == []


def test_drafts_from_a_change_asked_at_once_are_one(web, project):
    web()
    change_id = store_change(project)
    config = load_config(project.config_path, source_kinds())
    results = []

    def ask():
        store = Store(project.data_dir)
        results.append(notices.draft_for_change(config, store, change_id))
        store.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert {notice.id for notice, _ in results} == {1}
    assert len(drafts(project)) == 1


def test_a_stored_sheet_due_in_9999_does_not_break_the_web_app(web, project):
    app = web()
    project.publish_sheet("Normal", "2024-01-03 10:00", "--due", "5")
    store = Store(project.data_dir)
    with store.transaction():  # as published before such deadlines were refused
        store.db.execute("UPDATE notices SET deadline = '9999-12-31' WHERE id = 1")
    store.close()
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/calendars/dsls.ics").status_code == 200
    sign_in(client, "ed@council.example")
    assert client.get("/team/mi/1").status_code == 200


def test_a_sheet_approved_from_a_change_is_not_called_a_draft(web, project):
    client = web().test_client()
    change_id = approved_from_a_change(client, project)
    again = draft_from(client, change_id)
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "A sheet from this change is already approved: here it is" in page
    assert "A draft from" not in page
    assert "already" not in client.get(again.headers["Location"]).get_data(as_text=True)


# Banners say only what the app said ---------------------------------------------------------
# Nothing in a link can put words under "Success", "Important" or "There is a problem".

PHISHING = "Your session expired. Sign in again at https://evil.example/login"


def team_pages(client) -> list[str]:
    notice_id = draft(client)
    return [f"/team/mi/{notice_id}", f"/team/mi/{notice_id}/edit", "/team/bulletins/2024-01"]


@pytest.mark.parametrize(
    "query",
    [
        {"message": PHISHING},
        {"error": PHISHING},
        {"message": PHISHING, "error": PHISHING},
        {"Message": PHISHING, "ERROR": PHISHING},
        {"message": f"<b>{PHISHING}</b>"},
        {"message": [PHISHING, PHISHING]},
    ],
    ids=["message", "error", "both", "case", "markup", "repeated"],
)
def test_text_in_the_address_never_reaches_a_banner(web, query):
    client = web().test_client()
    sign_in(client, "ap@council.example")
    for path in team_pages(client):
        response = client.get(path, query_string=query)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "evil.example" not in page, path
        assert "notification-banner" not in page and "There is a problem" not in page, path


def test_what_the_app_says_is_shown_once_and_never_put_in_the_address(web, project):
    app = web(four_eyes=False)
    client = app.test_client()
    sign_in(client, "ap@council.example")
    notice_id = draft(client)
    for action, said in (("approve", "Approved"), ("publish", "Published MI 1/")):
        response = post(client, f"/team/mi/{notice_id}/{action}")
        assert response.status_code == 302
        assert "?" not in response.headers["Location"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert said in page and "notification-banner--success" in page
        again = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "notification-banner" not in again  # said once: a reload does not repeat it


def test_a_refusal_is_shown_as_a_problem_not_as_a_success(web, project):
    app = web()
    author = app.test_client()
    sign_in(author, "ap@council.example")
    notice_id = draft(author)
    refused = post(author, f"/team/mi/{notice_id}/approve")
    assert "?" not in refused.headers["Location"]
    page = author.get(refused.headers["Location"]).get_data(as_text=True)
    problem = page.split("There is a problem")[1]
    assert "another approver must approve it" in problem
    assert "Success" not in page

    unsent = post(author, "/team/bulletins/2030-01/send")  # nothing built for that month
    assert "?" not in unsent.headers["Location"]
    page = author.get(unsent.headers["Location"]).get_data(as_text=True)
    assert "There is a problem" in page and "Success" not in page


def test_a_banner_belongs_to_the_browser_it_was_said_to(web, project):
    app = web(four_eyes=False)
    approver, other = app.test_client(), app.test_client()
    sign_in(approver, "ap@council.example")
    sign_in(other, "ed@council.example")
    notice_id = draft(approver)
    approved = post(approver, f"/team/mi/{notice_id}/approve")
    elsewhere = other.get(approved.headers["Location"]).get_data(as_text=True)
    assert "notification-banner" not in elsewhere
    page = approver.get(approved.headers["Location"]).get_data(as_text=True)
    assert "notification-banner--success" in page and "Approved</p>" in page


@pytest.mark.parametrize("action", ["save", "preview"])
def test_saving_a_sheet_or_a_bulletin_still_says_so(web, project, action):
    client = web().test_client()
    sign_in(client, "ed@council.example")
    notice_id = draft(client)
    path = f"/team/mi/{notice_id}/edit"
    text = "---\ntitle: Saved title\ntype: Action\naudiences: [dsls]\n---\nBody\n"
    response = post(client, path, {"text": text, "action": action}, page=path)
    if action == "preview":
        assert response.status_code == 200 and "notification-banner" not in response.text
        return
    assert response.status_code == 302 and "?" not in response.headers["Location"]
    assert "Saved" in client.get(response.headers["Location"]).get_data(as_text=True)
    saved = post(
        client,
        "/team/bulletins/2024-01",
        {"text": "intro: Hello\n", "action": "save", "audience": "dsls"},
        page="/team/bulletins/2024-01",
    )
    assert saved.status_code == 302 and "message" not in saved.headers["Location"]
    assert "Saved" in client.get(saved.headers["Location"]).get_data(as_text=True)
