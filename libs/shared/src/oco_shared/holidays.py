"""Rest days of the Algemene termijnenwet (Atw).

Atw art. 1: a statutory term that ends on a Saturday, Sunday or generally recognised
holiday is extended to the next day that is none of these. Art. 3 lists the holidays:
New Year's Day, Easter Monday, Ascension Day, Whit Monday, both Christmas days, the
King's birthday and 5 May. The procurement rounds' terms are contractual and do not roll
forward; the engine supports it for rules that say so.
"""

from __future__ import annotations

from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """27 April (30 April before 2014); moved to the 26th when it falls on a Sunday."""
    birthday = date(year, 4, 27) if year >= 2014 else date(year, 4, 30)
    if birthday.weekday() == 6:
        return birthday - timedelta(days=1)
    return birthday


def atw_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),
            easter + timedelta(days=1),
            easter + timedelta(days=39),
            easter + timedelta(days=50),
            kings_day(year),
            date(year, 5, 5),
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_atw_rest_day(day: date) -> bool:
    return day.weekday() >= 5 or day in atw_holidays(day.year)


def roll_forward(day: date) -> date:
    while is_atw_rest_day(day):
        day += timedelta(days=1)
    return day
