"""Local days and UTC: a date entered in a form is read back as the same date,
on both sides of a daylight-saving change (Europe/Paris)."""

from datetime import date, datetime

import pytest
from flask import render_template_string

from civic.core.time import end_of_day, last_day, local_day, start_of_day, to_utc

DAYS_AROUND_CHANGES = [date(2026, 3, d) for d in (28, 29, 30)] + [date(2026, 10, d) for d in (24, 25, 26)]


@pytest.mark.parametrize("day", DAYS_AROUND_CHANGES)
def test_a_day_entered_is_read_back_as_the_same_day_across_dst(app, day):
    assert local_day(start_of_day(day)) == day
    assert last_day(end_of_day(day)) == day


def test_local_midnight_is_stored_as_utc(app):
    assert start_of_day(date(2026, 12, 1)) == datetime(2026, 11, 30, 23, 0)   # winter: UTC+1
    assert start_of_day(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, 0)     # summer: UTC+2
    # The day of the autumn change lasts 25 hours.
    assert (end_of_day(date(2026, 10, 25)) - start_of_day(date(2026, 10, 25))).total_seconds() == 25 * 3600
    assert to_utc(datetime(2026, 10, 25, 12, 0)) == datetime(2026, 10, 25, 11, 0)


def test_pages_show_a_stored_moment_on_its_local_day(app):
    # A phase starting at local midnight on 1 December is 30 November 23:00 UTC;
    # the page must say 1 December, not 30 November.
    with app.test_request_context("/"):
        shown = render_template_string("{{ moment|date }}", moment=start_of_day(date(2026, 12, 1)))
    assert shown == "December 1, 2026"


def test_french_dates_write_the_first_of_the_month_as_an_ordinal(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("fr"):
        first = render_template_string("{{ moment|date }}", moment=start_of_day(date(2027, 1, 1)))
        eleventh = render_template_string("{{ d|date }}", d=date(2027, 1, 11))
        full = render_template_string("{{ d|date('full') }}", d=date(2027, 2, 1))
    assert first == "1er janvier 2027"
    assert eleventh == "11 janvier 2027"
    assert full == "lundi 1er février 2027"
    with app.test_request_context("/"):
        assert render_template_string("{{ d|date }}", d=date(2027, 1, 1)) == "January 1, 2027"
