"""Emails to one person, sent at once outside the send log: subscription confirmations.

Losing one is harmless (the person asks again), and sending one twice is too, so they
need none of the send log's exactly-once machinery.
"""

from __future__ import annotations

from pathlib import Path

from publisher.config import Config
from publisher.deliver import open_deliverer
from publisher.messages import Mailbox, build_message, new_message_id, sender_mailbox
from publisher.render import Renderer


def send_confirmation(config: Config, data_dir: Path, email: str, name: str, link: str) -> str:
    """Email the link that confirms a subscription; returns the deliverer's receipt."""
    renderer = Renderer(config)
    context = {"organisation": config.organisation, "name": name, "link": link}
    sender = sender_mailbox(config.organisation)
    message = build_message(
        subject=f"Confirm your subscription to {config.organisation.name}",
        sender=sender,
        to=Mailbox.of(email, name),
        text=renderer.render("email/confirm_subscription.txt", **context),
        html=renderer.render_mjml("email/confirm_subscription.mjml", **context),
        message_id=new_message_id(sender),
    )
    deliverer = open_deliverer(config.delivery.get("via", "outbox"), config, data_dir)
    try:
        return deliverer.send(message, email)
    finally:
        deliverer.close()
