"""The ``smtp`` deliverer: an SMTP relay, one connection reused for the whole run.

feeds.yaml: ``delivery: {via: smtp, smtp: {host, port, security: starttls|ssl|none,
timeout}}``. The login comes from the environment, never from feeds.yaml:
``PUBLISHER_SMTP_USERNAME`` and ``PUBLISHER_SMTP_PASSWORD``.
"""

from __future__ import annotations

from publisher import hookimpl


@hookimpl
def register_deliverers(register):
    register("smtp", smtp_deliverer)


def smtp_deliverer(config, data_dir, **options):
    """The deliverer, loaded when mail is sent: smtplib and ssl take a while to import."""
    from publisher_plugins.smtp_relay import SmtpDeliverer

    return SmtpDeliverer(config, data_dir, **options)
