"""The web app: `serve`, and the team's accounts: `users add|list|remove|reset`."""

from __future__ import annotations

import click

from publisher.cli.app import App, echo_json, format_option, pass_app
from publisher.users import ROLES, add_user, remove_user, reset_password, users


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Requests served at once.")
@pass_app
def serve(app: App, host: str, port: int, threads: int) -> None:
    """Run the web app: the site and subscriptions for schools, and the team's pages.

    Serves with waitress until Ctrl-C. Behind a reverse proxy, listen on 127.0.0.1 and let
    the proxy terminate TLS (see README, "Running the web app").
    """
    from waitress import serve as waitress_serve

    from publisher.web import create_app

    web_app = create_app(app.config, app.data_dir, app.site_dir)
    click.echo(f"Serving on http://{host}:{port}/ (team pages: /team/; Ctrl-C to stop)")
    waitress_serve(web_app, host=host, port=port, threads=threads, ident="publisher")


@click.group(name="users")
def users_group() -> None:
    """Team accounts for the web app: editors draft, approvers approve and send, admins
    manage users and sources."""


@users_group.command(name="add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@pass_app
def users_add(app: App, email: str, role: str) -> None:
    """Create an account; prints its new password once."""
    user, password = add_user(app.store, email, role)
    click.echo(f"Added {user.email} ({user.role}). Password: {password}")


@users_group.command(name="list")
@format_option
@pass_app
def users_list(app: App, output_format: str) -> None:
    """List team accounts."""
    found = users(app.store)
    if output_format == "json":
        echo_json([{"email": user.email, "role": user.role} for user in found])
        return
    for user in found:
        click.echo(f"{user.email}  {user.role}")


@users_group.command(name="remove")
@click.argument("email")
@pass_app
def users_remove(app: App, email: str) -> None:
    """Remove an account and end its sessions."""
    click.echo(f"Removed {remove_user(app.store, email).email}.")


@users_group.command(name="reset")
@click.argument("email")
@pass_app
def users_reset(app: App, email: str) -> None:
    """Give an account a new password (printed once) and end its sessions."""
    user, password = reset_password(app.store, email)
    click.echo(f"New password for {user.email}: {password}")
