"""Jinja filters for dates, numbers and money in the visitor's locale."""

import re
from datetime import date, datetime

from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale

from civic.core.time import last_day, local_day

_FIRST = re.compile(r"(?<!\d)1 (?=[^\W\d])")


def french_first(text: str, day: int) -> str:
    """French writes the first of the month as an ordinal: « 1er janvier »."""
    if day != 1:
        return text
    locale = get_locale()
    if locale is None or locale.language != "fr":
        return text
    return _FIRST.sub("1er ", text, count=1)


def init_app(app):
    @app.template_filter("date")
    def _date(value, fmt="long"):
        if value is None:
            return ""
        if isinstance(value, datetime):
            # Stored moments are naive UTC: the day people mean is the local one
            # (a phase from local midnight on 1 December is 30 November 23:00 UTC).
            value = local_day(value)
        return french_first(format_date(value, fmt), value.day)

    @app.template_filter("last_day")
    def _last_day(value):
        # An end stored as an exclusive bound (local midnight after the last
        # day): "until" names the last day included. ``{{ p.ends_at|last_day|date }}``
        return last_day(value) if value else None

    @app.template_filter("datetime")
    def _datetime(value, fmt="medium"):
        return french_first(format_datetime(value, fmt), value.day) if value else ""

    @app.template_filter("number")
    def _number(value):
        return format_decimal(value or 0)

    @app.template_filter("money")
    def _money(value, currency="EUR"):
        return format_currency(value or 0, currency, format="#,##0 ¤", currency_digits=False)

    @app.template_filter("isodate")
    def _isodate(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        return ""
