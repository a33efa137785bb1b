"""The ``notify`` deliverer: GOV.UK Notify, through its official Python client.

feeds.yaml: ``delivery: {via: notify, notify: {template_id, base_url}}``, where the Notify
email template has the fields ((subject)) and ((body)). The API key comes from the
environment, never from feeds.yaml: ``PUBLISHER_NOTIFY_API_KEY``. Notify sends plain text
(its own formatting of ((body))), so the plain-text part of each message is what goes.
"""

from __future__ import annotations

import os
from email.message import Message

from publisher import hookimpl
from publisher.deliver import DelivererNotReady, PermanentFailure, TemporaryFailure

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"


@hookimpl
def register_deliverers(register):
    register("notify", NotifyDeliverer)


class NotifyDeliverer:
    def __init__(self, config, data_dir, **options):
        settings = {**config.delivery.get("notify", {}), **options}
        api_key = os.environ.get("PUBLISHER_NOTIFY_API_KEY")
        if not api_key:
            raise DelivererNotReady("set PUBLISHER_NOTIFY_API_KEY to your GOV.UK Notify API key")
        if not settings.get("template_id"):
            raise DelivererNotReady("feeds.yaml: delivery.notify.template_id is missing")
        from notifications_python_client.notifications import NotificationsAPIClient

        self.template_id = settings["template_id"]
        self.client = NotificationsAPIClient(
            api_key,
            base_url=settings.get("base_url", DEFAULT_BASE_URL),
            timeout=float(settings.get("timeout", 30)),
        )

    def send(self, message: Message, recipient: str) -> str:
        import requests
        from notifications_python_client.errors import HTTPError

        from publisher.messages import plain_text

        try:
            response = self.client.send_email_notification(
                email_address=recipient,
                template_id=self.template_id,
                personalisation={
                    "subject": str(message["Subject"]),
                    "body": plain_text(message),
                },
                reference=str(message["Message-ID"]),
            )
        except HTTPError as error:
            detail = f"GOV.UK Notify {error.status_code}: {error.message}"
            if error.status_code == 429 or error.status_code >= 500:
                raise TemporaryFailure(detail) from None
            raise PermanentFailure(detail) from None
        except requests.RequestException as error:
            raise TemporaryFailure(f"GOV.UK Notify unreachable: {error}") from None
        return str(response["id"])

    def close(self) -> None:
        pass
