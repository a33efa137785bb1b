"""For schools, no login: subscribe (double opt-in), manage preferences, unsubscribe."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from publisher import actions, subscriptions
from publisher.dates import uk_today
from publisher.errors import InputError
from publisher.links import LinkError, read_token
from publisher.subscriptions import FREQUENCY_LABELS, FormErrors
from publisher.transactional import send_confirmation
from publisher.web import config, csrf, data_dir, email_link, limiter, store

blueprint = Blueprint("schools", __name__)


def _form_page(template: str, status: int = 200, **context):
    return (
        render_template(template, frequencies=FREQUENCY_LABELS, **context),
        status,
    )


@blueprint.route("/subscribe", methods=["GET", "POST"])
@limiter.limit("5 per minute; 50 per day", methods=["POST"])
def subscribe():
    form = {"audiences": [], "frequency": "immediately"}
    if request.method == "POST":
        form = {**request.form.to_dict(), "audiences": request.form.getlist("audiences")}
        try:
            wanted = subscriptions.check_request(config(), form)
        except FormErrors as error:
            return _form_page("web/subscribe.html", 400, form=form, errors=error.errors)
        if subscriptions.request_subscription(store(), wanted):
            link = email_link("confirm", wanted.email)
            send_confirmation(config(), data_dir(), wanted.email, wanted.name, link)
        # The same answer whether or not the address is known or was limited.
        return redirect(url_for("schools.check_email"))
    return _form_page("web/subscribe.html", form=form, errors={})


@blueprint.route("/subscribe/check-your-email")
def check_email():
    return render_template("web/check_email.html")


@blueprint.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    try:
        email = read_token(data_dir(), "confirm", token)
        if request.method == "POST":
            subscriber = subscriptions.confirm(store(), email)
            return render_template(
                "web/confirmed.html", subscriber=subscriber, manage_url=email_link("manage", email)
            )
    except InputError as error:
        return render_template("web/link_error.html", message=str(error)), 400
    return render_template("web/confirm.html", email=email)


@blueprint.route("/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    try:
        email = read_token(data_dir(), "manage", token)
    except LinkError as error:
        return render_template("web/link_error.html", message=str(error)), 400
    subscriber = store().subscriber(email)
    if subscriber is None or email in store().unsubscribed():
        return render_template(
            "web/link_error.html",
            message="this address is not subscribed: you can subscribe again",
        ), 404
    form = {
        "name": subscriber.name,
        "school": subscriber.school,
        "audiences": list(subscriber.audiences),
        "frequency": subscriber.frequency,
    }
    saved = False
    if request.method == "POST":
        form = {**request.form.to_dict(), "audiences": request.form.getlist("audiences")}
        try:
            wanted = subscriptions.check_request(config(), {**form, "email": email})
        except FormErrors as error:
            return _form_page(
                "web/manage.html", 400, form=form, errors=error.errors, email=email, token=token
            )
        subscriptions.update_preferences(store(), email, wanted)
        saved = True
    to_confirm = actions.sheets_to_confirm(store(), subscriber.audiences, uk_today())
    return _form_page(
        "web/manage.html",
        form=form,
        errors={},
        email=email,
        token=token,
        saved=saved,
        unsubscribe_url=email_link("unsubscribe", email),
        to_confirm=[
            (notice, email_link("action", [notice.number, email])) for notice in to_confirm
        ],
    )


@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail providers POST here with no session; the signed link is the proof
def unsubscribe(token: str):
    try:
        email = read_token(data_dir(), "unsubscribe", token)
    except LinkError as error:
        return render_template("web/link_error.html", message=str(error)), 400
    if request.method == "POST":
        subscriptions.unsubscribe(store(), email)
        return render_template("web/unsubscribed.html", email=email)
    return render_template("web/unsubscribe.html", email=email, token=token)


@blueprint.route("/actions/<token>", methods=["GET", "POST"])
def confirm_action(token: str):
    try:
        number, email = read_token(data_dir(), "action", token)
        notice = store().notice(number)
        if notice is None:
            raise LinkError("this MI sheet no longer exists")
        if request.method == "POST":
            actions.confirm_action(store(), notice, email, request.form.get("note", ""))
            return render_template("web/action_confirmed.html", notice=notice, email=email)
    except InputError as error:
        return render_template("web/link_error.html", message=str(error)), 400
    return render_template("web/action.html", notice=notice, email=email)
