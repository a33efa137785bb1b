"""``publisher serve``: the web app for the team (login) and for schools (no login).

Flask, because the app is server-rendered HTML with forms over a synchronous core and
SQLite; Flask-WTF for CSRF protection, Flask-Limiter for per-client rate limits; waitress
serves it in production (pure Python, threads, no compiler, runs on Windows too).
Views stay thin: they parse the form, call core functions, and render.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from publisher.config import Config
from publisher.links import reader_link, secret_key
from publisher.render import BUILTIN_TEMPLATES, Renderer
from publisher.store import Store
from publisher.users import session_user
from publisher.web.once import SentOnce

SESSION_COOKIE = "publisher_session"

csrf = CSRFProtect()
limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[])


def create_app(config: Config, data_dir: Path, site_dir: Path) -> Flask:
    """The app, on the project's config, data directory (store) and built site."""
    app = Flask(
        __name__,
        static_folder=str(BUILTIN_TEMPLATES / "web" / "assets"),
        static_url_path="/assets",
    )
    secure = config.settings.site_url.startswith("https://")
    app.config.update(
        SECRET_KEY=secret_key(data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="publisher_csrf",  # signed: the CSRF token and flashed messages
        WTF_CSRF_TIME_LIMIT=None,  # valid for the browser session
        PUBLISHER_CONFIG=config,
        PUBLISHER_DATA_DIR=Path(data_dir).resolve(),
        PUBLISHER_SITE_DIR=Path(site_dir).resolve(),
        PUBLISHER_SECURE_COOKIES=secure,
    )
    renderer = Renderer(config)
    app.jinja_loader = renderer.env.loader
    app.jinja_env.filters.update(renderer.env.filters)
    app.jinja_env.filters["audience_name"] = lambda audience: config.audiences.get(
        audience, audience
    )
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["publisher_sent_once"] = SentOnce()

    from publisher.web import auth, schools, site, team

    for module in (auth, schools, team, site):
        app.register_blueprint(module.blueprint)

    @app.before_request
    def load_user() -> None:
        g.user = session_user(store(), request.cookies.get(SESSION_COOKIE))

    @app.teardown_appcontext
    def close_store(error) -> None:
        opened = g.pop("store", None)
        if opened is not None:
            opened.close()

    @app.context_processor
    def globals_for_templates() -> dict:
        return {"config": config, "user": g.get("user")}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return error_page(
            403,
            "This form has expired or was not sent by this site. Go back, "
            "reload the page and try again.",
        )

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, "You do not have permission to do that.")

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, "Page not found. Check the address and try again.")

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, "Too many attempts. Wait a few minutes and try again.")

    return app


def store() -> Store:
    """This request's store (one SQLite connection per request and thread)."""
    if "store" not in g:
        g.store = Store(current_app.config["PUBLISHER_DATA_DIR"])
    return g.store


def config() -> Config:
    return current_app.config["PUBLISHER_CONFIG"]


def data_dir() -> Path:
    return current_app.config["PUBLISHER_DATA_DIR"]


def sent_once() -> SentOnce:
    """The app's memory of one-time forms already acted on (see ``publisher.web.once``)."""
    return current_app.extensions["publisher_sent_once"]


def email_link(purpose: str, value) -> str:
    """A signed link for an email or a page to keep: always under settings.site_url, never
    built from the request's Host header (which a client chooses)."""
    return reader_link(data_dir(), config().settings.site_url, purpose, value)


def error_page(status: int, message: str):
    titles = {403: "Not allowed", 404: "Page not found", 429: "Too many attempts"}
    return render_template(
        "web/error.html", title=titles.get(status, "Error"), message=message
    ), status
