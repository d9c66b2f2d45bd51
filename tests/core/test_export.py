"""civic.core.export: formula-safe cells, ISO moments, ?page= parsing."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from civic.core.errors import ValidationError
from civic.core.export import iso, page_arg, safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_like_text_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-3, 0, 2.5, -0.5, "plain", "a=b", "", "'quoted"])
def test_other_values_are_untouched(value):
    assert safe_cell(value) == value


def test_none_is_an_empty_cell_and_moments_are_iso():
    assert safe_cell(None) == ""
    assert safe_cell(datetime(2025, 6, 15, 12, 0)) == "2025-06-15T12:00:00Z"
    assert safe_cell(date(2025, 6, 15)) == "2025-06-15"


def test_iso():
    assert iso(None) is None
    assert iso(datetime(2025, 6, 15, 12, 30, 5)) == "2025-06-15T12:30:05Z"
    assert iso(datetime(2025, 6, 15, 14, 0, tzinfo=timezone(timedelta(hours=2)))) == "2025-06-15T12:00:00Z"
    assert iso(datetime(2025, 6, 15, 12, 0, tzinfo=UTC)) == "2025-06-15T12:00:00Z"
    assert iso(date(2025, 6, 15)) == "2025-06-15"


@pytest.mark.parametrize("raw", ["x", "0", "-1", "99999999999999999999", "1.5", "²", "100001"])
def test_page_arg_rejects_what_is_not_a_page(app, raw):
    with app.test_request_context(f"/?page={raw}"), pytest.raises(ValidationError) as err:
        page_arg()
    assert "page" in err.value.fields


@pytest.mark.parametrize(("query", "expected"), [("/?page=3", 3), ("/", 1), ("/?page=", 1), ("/?page=1", 1)])
def test_page_arg_reads_a_page(app, query, expected):
    with app.test_request_context(query):
        assert page_arg() == expected
