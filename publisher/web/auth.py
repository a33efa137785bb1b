"""Signing in and out, and the checks every team page makes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from publisher import audit
from publisher.users import authenticate, end_session, start_session
from publisher.web import SESSION_COOKIE, limiter, store

blueprint = Blueprint("auth", __name__)


def login_required(role: str = "editor") -> Callable:
    """Team pages: signed in (else to the sign-in page), with ``role`` or higher (else 403)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not g.user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    default = url_for("team.inbox")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    errors = {}
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")
        user = authenticate(store(), email, request.form.get("password", ""))
        if user is not None:
            token = start_session(store(), user)
            with store().transaction():
                audit.record(store(), user.email, "signed in")
            response = redirect(safe_next(request.args.get("next")))
            response.set_cookie(
                SESSION_COOKIE,
                token,
                httponly=True,
                samesite="Lax",
                secure=current_app.config["PUBLISHER_SECURE_COOKIES"],
                path="/",
            )
            return response
        errors["email"] = "Enter the email address and password of a team account"
    return render_template("web/login.html", errors=errors, email=email), 400 if errors else 200


@blueprint.route("/logout", methods=["POST"])
def logout():
    everywhere = request.form.get("everywhere") == "yes"
    if g.user is not None:
        end_session(
            store(),
            request.cookies.get(SESSION_COOKIE),
            everywhere_for=g.user if everywhere else None,
        )
        with store().transaction():
            audit.record(
                store(), g.user.email, "signed out everywhere" if everywhere else "signed out"
            )
    response = redirect(url_for("auth.login"))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
