"""Emails to send: MI sheets and bulletin editions rendered once as ``Letter``s (merge
tokens for each reader), with the subscribers each goes to, and bulletin previews."""

from __future__ import annotations

from pathlib import Path

from publisher.bulletins import Bulletin, bulletin_context
from publisher.config import Config
from publisher.models import Notice
from publisher.notices import NoticeError, notice_context
from publisher.render import Renderer
from publisher.sending import Letter, message_id_for, personalise, recipient_tokens
from publisher.store import Store
from publisher.subscribers import Subscriber


def notice_letter(renderer: Renderer, config: Config, notice: Notice) -> Letter:
    """The sheet as an email, rendered once for every recipient (see ``sending``)."""
    context = {**notice_context(config, notice), "recipient": recipient_tokens()}
    return Letter(
        key=f"mi/{notice.number}",
        subject=notice.subject,
        text=renderer.render("email/mi_sheet.txt", **context),
        html=renderer.render_mjml("email/mi_sheet.mjml", **context),
        action=notice.number if notice.type == "Action" and notice.deadline else None,
    )


def letters_for_notice(
    renderer: Renderer,
    config: Config,
    store: Store,
    notice: Notice,
    audiences: tuple[str, ...] = (),
) -> list[tuple[Letter, list]]:
    """A published sheet as one letter, to its audiences' subscribers (only ``audiences``
    among them, when given)."""
    if notice.status != "published":
        raise NoticeError(f"{notice.label} is not published yet")
    wanted = set(notice.audiences) & (set(audiences) or set(notice.audiences))
    # Weekly readers get the sheet in their digest; monthly ones in the bulletin.
    readers = store.subscribers(wanted, frequency="immediately")
    return [(notice_letter(renderer, config, notice), readers)]


def bulletin_letter(
    renderer, config: Config, bulletin: Bulletin, audiences: tuple[str, ...], key: str = ""
) -> Letter:
    """The edition for ``audiences`` as an email, rendered once for all its recipients
    (``key`` in the send log: the bulletin's month unless given)."""
    edition = bulletin.for_audience(*audiences)
    names = ", ".join(config.audiences.get(audience, audience) for audience in audiences)
    context = {**bulletin_context(config, edition, names), "recipient": recipient_tokens()}
    return Letter(
        key=key or f"bulletin/{bulletin.month}",
        subject=f"{edition.title} ({names})",
        text=renderer.render("email/bulletin.txt", **context),
        html=renderer.render_mjml("email/bulletin.mjml", **context),
    )


def bulletin_letters(
    renderer, config: Config, bulletin: Bulletin, subscribers: list[Subscriber], key: str = ""
) -> list[tuple[Letter, list[Subscriber]]]:
    """One letter per combination of audiences among the subscribers, with its recipients."""
    groups: dict[tuple[str, ...], list[Subscriber]] = {}
    for subscriber in subscribers:
        groups.setdefault(tuple(sorted(subscriber.audiences)), []).append(subscriber)
    return [
        (bulletin_letter(renderer, config, bulletin, audiences, key), members)
        for audiences, members in groups.items()
        if bulletin.for_audience(*audiences).sections
    ]


def write_previews(
    renderer, config: Config, bulletin: Bulletin, folder: Path, data_dir: Path
) -> dict[str, Path]:
    """An .eml per audience in ``folder``, to read before sending."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for audience, name in config.audiences.items():
        letter = bulletin_letter(renderer, config, bulletin, (audience,))
        reader = Subscriber(email=f"{audience}@preview.invalid", name=name)
        message_id = message_id_for(letter.key, audience, config)
        message = personalise(letter, reader, config, message_id, data_dir)
        path = folder / f"{audience}.eml"
        path.write_bytes(bytes(message))
        written[audience] = path
    return written
