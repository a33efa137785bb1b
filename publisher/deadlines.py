"""Working days in England and Wales: weekends and bank holidays skipped."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache


@cache
def _bank_holidays(year: int):
    # England and Wales share their bank holidays; the holidays package is maintained upstream.
    import holidays  # 30 ms: only when a deadline is worked out

    return holidays.UK(subdiv="ENG", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def closed_because(day: date) -> str | None:
    """Why ``day`` is no working day ('a Saturday', 'Wednesday, Christmas Day (a bank
    holiday)'), or None when it is one."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    holiday = _bank_holidays(day.year).get(day)
    return f"{day:%A}, {holiday} (a bank holiday)" if holiday else None


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    return day if is_working_day(day) else add_working_days(day, 1)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (before it, when ``days`` is
    negative); ``start`` itself does not count. Past the ends of the calendar (a stored
    deadline of 31/12/9999), the last or first date it holds."""
    day = start
    step, edge = (timedelta(days=1), date.max) if days >= 0 else (timedelta(days=-1), date.min)
    remaining = abs(days)
    while remaining > 0 and day != edge:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day
