"""MI sheets (Management Information Sheets): the notices an LA sends to schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import yaml

from publisher.config import Config
from publisher.deadlines import add_working_days
from publisher.messages import build_message, sender_address
from publisher.render import Renderer


@dataclass(frozen=True)
class Notice:
    number: str
    type: str
    title: str
    published: datetime
    deadline: date | None
    contact: str
    audiences: tuple[str, ...]
    body: str  # markdown written by the LA team

    @property
    def subject(self) -> str:
        """A subject a reader can triage, e.g. 'MI 1/24 ACTION by 12/01/2024: Title'."""
        due = f" by {self.deadline:%d/%m/%Y}" if self.deadline else ""
        return f"MI {self.number} {self.type.upper()}{due}: {self.title}"


def read_notice(path: Path | str) -> Notice:
    """A notice from a markdown file with a YAML front matter block of its fields.

    ``due`` may be a number of working days after ``published`` or a date.
    """
    text = Path(path).read_text(encoding="utf-8")
    _, front_matter, body = text.split("---\n", 2)
    fields = yaml.safe_load(front_matter)
    published = fields["published"]
    due = fields.get("due")
    deadline = add_working_days(published.date(), due) if isinstance(due, int) else due
    return Notice(
        number=str(fields["number"]),
        type=str(fields["type"]),
        title=str(fields["title"]),
        published=published,
        deadline=deadline,
        contact=str(fields["contact"]),
        audiences=tuple(fields.get("audiences", ())),
        body=body.strip(),
    )


def notice_message(renderer: Renderer, config: Config, notice: Notice, to: str) -> EmailMessage:
    """The MI sheet as an email: MJML-compiled HTML with a plain-text alternative."""
    context = {"notice": notice, "organisation": config.organisation}
    return build_message(
        subject=notice.subject,
        sender=sender_address(config.organisation),
        to=to,
        text=renderer.render("email/mi_sheet.txt", **context),
        html=renderer.render_mjml("email/mi_sheet.mjml", **context),
        reply_to=config.organisation.email,
    )
