"""For the team (signed in): changes inbox, MI sheets, subscribers, sources, audit log.

What an action says reaches the next page as a flashed message (Flask's signed session
cookie), never in its address: a link could otherwise put any words in a banner."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from publisher import actions, audit, notices, sheet_files, workflow
from publisher.dates import uk_today
from publisher.errors import InputError
from publisher.fetch import fetch_sources
from publisher.health import health_news, source_rows
from publisher.render import Renderer
from publisher.sources import source_kinds
from publisher.subscribers import import_subscribers, parse_csv, write_csv
from publisher.web import config, data_dir, sent_once, store
from publisher.web.auth import login_required
from publisher.web.once import FORM_ID_FIELD, is_form_id, new_form_id
from publisher.web.site import rebuild

blueprint = Blueprint("team", __name__, url_prefix="/team")

# Flashed message categories, as templates/web/macros.html `flashed` shows them.
SUCCESS, IMPORTANT, PROBLEM = "success", "important", "error"


@blueprint.route("/")
@login_required()
def inbox():
    include_handled = request.args.get("show") == "all"
    entries = workflow.inbox(store(), include_handled=include_handled)
    return render_template("web/team/inbox.html", entries=entries, include_handled=include_handled)


@blueprint.route("/changes/<int:change_id>/handled", methods=["POST"])
@login_required()
def change_handled(change_id: int):
    workflow.mark_handled(store(), g.user, change_id)
    return redirect(url_for("team.inbox"))


@blueprint.route("/changes/<int:change_id>/draft", methods=["POST"])
@login_required()
def draft_from_change(change_id: int):
    """Opens the sheet being drafted from the change; drafts one only when there is none."""
    if store().change(change_id) is None:
        abort(404)
    notice, created = workflow.draft_from_change(config(), store(), g.user, change_id)
    if not created:
        flash(already_started(notice.status), IMPORTANT)
    page = "team.mi_edit" if notice.status == "draft" else "team.mi_show"
    return redirect(url_for(page, notice_id=notice.id))


def already_started(status: str) -> str:
    """What to say on opening the sheet a change already has (unpublished: once published,
    a new draft is made), by its status: only a draft is called a draft."""
    if status == "draft":
        return "A draft from this change already existed: here it is"
    return f"A sheet from this change is already {status}: here it is"


@blueprint.route("/mi")
@login_required()
def mi_list():
    sheets = store().notices()
    by_status = {status: [n for n in sheets if n.status == status] for status in notices.STATUSES}
    return render_template("web/team/mi_list.html", by_status=by_status)


@blueprint.route("/mi/new", methods=["GET", "POST"])
@login_required()
def mi_new():
    """The new-draft form; sent twice (same form id), it still makes one draft."""
    errors = {}
    form_id = new_form_id()
    if request.method == "POST":
        sent_id = request.form.get(FORM_ID_FIELD)
        if not is_form_id(sent_id):
            errors["title"] = "This form is incomplete or out of date: reload the page, try again"
        else:
            form_id = sent_id  # refused below: corrected, the same form may still make one
            try:
                created = sent_once().run((g.user.email, sent_id), _draft_from_form)
            except InputError as error:
                errors["title"] = str(error)
            else:
                return redirect(url_for("team.mi_edit", notice_id=created.id))
    types = {name: name for name in config().settings.mi_types}
    page = render_template(
        "web/team/mi_new.html", errors=errors, form=request.form, types=types, form_id=form_id
    )
    return page, (400 if errors else 200)


def _draft_from_form():
    return workflow.draft(
        config(),
        store(),
        g.user,
        title=request.form.get("title", ""),
        type=request.form.get("type"),
        audiences=tuple(request.form.getlist("audiences")),
    )


@blueprint.route("/mi/<int:notice_id>", methods=["GET"])
@login_required()
def mi_show(notice_id: int):
    notice = _notice(notice_id)
    return render_template(
        "web/team/mi_show.html",
        notice=notice,
        drafted_by=workflow.drafted_by(store(), notice),
        counts=workflow.recipients_by_audience(config(), store(), notice),
        log=workflow.send_log(store(), notice) if notice.number else [],
        schools=actions.action_status(store(), notice) if notice.number else [],
        today=uk_today(),
    )


@blueprint.route("/mi/<int:notice_id>/edit", methods=["GET", "POST"])
@login_required()
def mi_edit(notice_id: int):
    notice = _notice(notice_id)
    text = sheet_files.to_markdown(notice)
    error, preview = None, None
    if request.method == "POST":
        text = request.form.get("text", "")
        try:
            if request.form.get("action") == "preview":
                preview = _preview(sheet_files.from_markdown(text, notice))
            else:
                workflow.save_draft(config(), store(), g.user, notice, text)
                flash("Saved", SUCCESS)
                return redirect(url_for("team.mi_show", notice_id=notice_id))
        except InputError as problem:
            error = str(problem)
    return render_template(
        "web/team/mi_edit.html",
        notice=notice,
        text=text,
        error=error,
        preview=preview,
    ), (400 if error else 200)


@blueprint.route("/mi/<int:notice_id>/<action>", methods=["POST"])
@login_required("approver")
def mi_action(notice_id: int, action: str):
    notice = _notice(notice_id)
    try:
        if action == "approve":
            workflow.approve(store(), g.user, notice, config().settings.four_eyes)
            message = "Approved"
        elif action == "publish":
            published = workflow.publish(store(), g.user, notice)
            rebuild()
            message = f"Published {published.label}"
        elif action in ("send", "retry"):
            report = workflow.send(
                config(), store(), g.user, notice, data_dir(), retry_failed=action == "retry"
            )
            message = f"Sent {len(report.sent)}, failed {len(report.failed)}"
        else:
            abort(404)
    except InputError as error:
        flash(str(error), PROBLEM)
    else:
        flash(message, SUCCESS)
    return redirect(url_for("team.mi_show", notice_id=notice_id))


@blueprint.route("/bulletins")
@login_required()
def bulletins_list():
    month = request.args.get("month")
    if month:
        return redirect(url_for("team.bulletin_compose", month=month))
    stored = store().bulletins()
    this_month = f"{uk_today():%Y-%m}"
    return render_template("web/team/bulletins.html", stored=stored, this_month=this_month)


@blueprint.route("/bulletins/<month>", methods=["GET", "POST"])
@login_required()
def bulletin_compose(month: str):
    text = workflow.editorial_text(data_dir(), month)
    audience = request.values.get("audience") or next(iter(config().audiences))
    error, edition, email = None, None, None
    try:
        if request.method == "POST":
            text = request.form.get("text", "")
            if request.form.get("action") == "save":
                workflow.save_bulletin(config(), store(), g.user, data_dir(), month, text)
                flash("Saved", SUCCESS)
                return redirect(url_for("team.bulletin_compose", month=month, audience=audience))
        edition, email = workflow.preview_edition(config(), store(), month, text, audience)
    except InputError as problem:
        error = str(problem)
    return render_template(
        "web/team/bulletin_compose.html",
        month=month,
        text=text,
        error=error,
        edition=edition,
        email=email,
        audience=audience,
        stored=store().bulletin(month) is not None,
    ), (400 if error else 200)


@blueprint.route("/bulletins/<month>/send", methods=["POST"])
@login_required("approver")
def bulletin_send(month: str):
    try:
        report = workflow.send_bulletin(config(), store(), g.user, data_dir(), month)
    except InputError as error:
        flash(str(error), PROBLEM)
    else:
        flash(f"Sent {len(report.sent)}, failed {len(report.failed)}", SUCCESS)
    return redirect(url_for("team.bulletin_compose", month=month))


@blueprint.route("/subscribers", methods=["GET", "POST"])
@login_required()
def subscribers():
    query = request.args.get("q", "").strip().lower()
    audience = request.args.get("audience") or None
    frequency = request.args.get("frequency") or None
    report = None
    if request.method == "POST":
        upload = request.files.get("csv")
        if upload is None or not upload.filename:
            report = {"errors": ["Choose a CSV file to upload"]}
        else:
            report = _import(upload.read())
    found = [
        subscriber
        for subscriber in store().subscribers([audience] if audience else None, frequency)
        if not query or query in f"{subscriber.email} {subscriber.name} {subscriber.school}".lower()
    ]
    return render_template(
        "web/team/subscribers.html",
        subscribers=found,
        query=query,
        audience=audience,
        frequency=frequency,
        report=report,
    )


@blueprint.route("/subscribers.csv")
@login_required()
def subscribers_export():
    output = io.StringIO()
    write_csv(store().subscribers(), output)
    return Response(
        output.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="subscribers.csv"'},
    )


@blueprint.route("/sources", methods=["GET", "POST"])
@login_required()
def sources():
    news = []
    if request.method == "POST":
        if not g.user.can("admin"):
            abort(403)
        reports = fetch_sources(config(), store(), source_kinds())
        news = health_news(config(), store(), reports) or ["Checked: nothing new to report"]
        with store().transaction():
            audit.record(store(), g.user.email, "checked sources now")
    return render_template("web/team/sources.html", rows=source_rows(config(), store()), news=news)


@blueprint.route("/audit")
@login_required("admin")
def audit_log():
    return render_template("web/team/audit.html", entries=audit.entries(store()))


def _notice(notice_id: int):
    notice = store().notice(str(notice_id))
    if notice is None:
        abort(404)
    return notice


def _preview(notice) -> dict:
    renderer = Renderer(config())
    context = notices.notice_context(config(), notice)
    return {
        "text": renderer.render("email/mi_sheet.txt", **context),
        "email_html": renderer.render_mjml("email/mi_sheet.mjml", **context),
        "body_html": renderer.env.filters["markdown"](notice.body),
    }


def _import(data: bytes) -> dict:
    try:
        good, bad = parse_csv(data, config(), "The file")
    except InputError as error:
        return {"errors": [str(error)]}
    plan = import_subscribers(store(), good)
    with store().transaction():
        audit.record(store(), g.user.email, "imported subscribers", details=f"{len(plan.new)} new")
    return {"errors": [f"Line {row.line}: {row.reason}" for row in bad], "plan": plan}
