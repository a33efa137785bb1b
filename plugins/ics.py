"""The ``ics`` output: a calendar per audience of MI sheet deadlines (``calendars/*.ics``).

A deadline a calendar cannot hold a day after (31/12/9999, stored before such dates were
refused) gets no event, so one odd sheet never stops the site being built."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from publisher import hookimpl
from publisher.outputs import Output, SiteBuild


@hookimpl
def register_outputs(register):
    register(Output("ics", build_calendars, "iCalendar files of MI sheet deadlines per audience"))


def build_calendars(site: SiteBuild) -> list[Path]:
    from icalendar import Calendar, Event  # on use: 30 ms nobody should pay on start-up

    config = site.config
    host = urlsplit(config.settings.site_url).hostname or "localhost"
    notices = [n for n in site.store.notices(status="published") if _day_after(n.deadline)]
    written = []
    for audience, name in config.audiences.items():
        calendar = Calendar()
        calendar.add("prodid", f"-//{config.organisation.name}//publisher//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"{config.organisation.name}: deadlines for {name}")
        for notice in notices:
            if audience not in notice.audiences:
                continue
            event = Event()
            event.add("uid", f"{notice.slug}@{host}")  # stable: one event per sheet
            event.add("summary", f"Due: {notice.subject}")
            event.add("dtstart", notice.deadline)
            event.add("dtend", _day_after(notice.deadline))
            event.add("dtstamp", notice.published)
            event.add("url", f"{config.settings.site_url}mi/{notice.slug}.html")
            event.add("description", f"{notice.type}: {notice.title}. Contact: {notice.contact}.")
            calendar.add_component(event)
        written.append(site.write(f"calendars/{audience}.ics", calendar.to_ical()))
    return written


def _day_after(deadline: date | None) -> date | None:
    """The end of a deadline's all-day event; None for no deadline, or one at the end of
    the calendar."""
    return deadline + timedelta(days=1) if deadline and deadline < date.max else None
