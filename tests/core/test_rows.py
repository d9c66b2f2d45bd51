"""The structured editor's rows (civic.core.forms): indexed inputs read back
in order, the add and remove buttons, the row limit, and a service's message
put on the right row's input."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from civic.core.errors import ValidationError
from civic.core.forms import RowEditor, apply_errors, attach_rows, edit_posted_rows, form_status


def test_rows_are_read_in_index_order_and_renumbered(app):
    with app.test_request_context():
        # Gaps and order: what the script leaves after removing rows in the page.
        form = MultiDict([("steps-7-date", "2030-03-01"), ("steps-7-text", "C"), ("steps-2-date", "2030-01-01"),
                          ("steps-2-text", "A"), ("steps-x-date", "ignored"), ("steps-3-other", "ignored"),
                          ("other-0-date", "ignored")])
        ed = RowEditor.from_form("steps", ("date", "text"), form)
        assert ed.values() == [{"date": "2030-01-01", "text": "A"}, {"date": "2030-03-01", "text": "C"}]
        assert not ed.changed

def test_add_and_remove_buttons_change_the_rows_and_say_so(app):
    with app.test_request_context():
        base = [("steps-0-date", "d0"), ("steps-0-text", "t0"), ("steps-1-date", "d1"), ("steps-1-text", "t1")]
        added = RowEditor.from_form("steps", ("date", "text"), MultiDict([*base, ("add_row", "steps")]))
        assert added.changed and added.values()[-1] == {"date": "", "text": ""} and len(added.rows) == 3
        removed = RowEditor.from_form("steps", ("date", "text"), MultiDict([*base, ("remove_row", "steps-0")]))
        assert removed.changed and removed.values() == [{"date": "d1", "text": "t1"}]
        # Another editor's button leaves these rows alone.
        other = RowEditor.from_form("steps", ("date", "text"), MultiDict([*base, ("add_row", "documents")]))
        assert not other.changed and len(other.rows) == 2
        # Removing the last row leaves one empty row to type in.
        last = RowEditor.from_form("steps", ("date", "text"), MultiDict(
            [("steps-0-date", "d0"), ("steps-0-text", "t0"), ("remove_row", "steps-0")]))
        assert last.values() == [{"date": "", "text": ""}]

def test_no_row_is_added_past_the_limit(app):
    with app.test_request_context():
        full = MultiDict([(f"steps-{i}-text", str(i)) for i in range(3)] + [("add_row", "steps")])
        ed = RowEditor.from_form("steps", ("date", "text"), full, max_rows=3)
        assert len(ed.rows) == 3 and ed.changed and "at most 3 rows" in ed.errors["steps"]
        assert [e.id for e in ed] == ["steps-add"]  # the summary links to the add button

def test_a_service_message_lands_on_its_row_and_makes_a_422(app):
    class Form:
        form_errors: list = []
        errors: dict = {}

    with app.test_request_context():
        ed = RowEditor("steps", ("date", "text"), [{"date": "x", "text": "y"}] * 2)
        form = attach_rows(Form(), ed)
        apply_errors(form, ValidationError(fields={"steps-1-date": "Not a date"}))
        assert ed.errors == {"steps-1-date": "Not a date"} and form.form_errors == []
        assert form_status(form) == 422

def test_a_fieldlist_s_rows_are_renumbered_without_the_removed_one(app):
    form = MultiDict([("csrf_token", "t"), ("rows-0-code", "a"), ("rows-1-code", "b"),
                      ("rows-1-caps", "x"), ("rows-1-caps", "y"), ("rows-2-code", "c"), ("remove_row", "rows-1")])
    posted, add, changed = edit_posted_rows(form, "rows", max_rows=5)
    assert changed and not add
    assert posted.get("rows-0-code") == "a" and posted.get("rows-1-code") == "c" and "rows-2-code" not in posted
    assert posted.get("csrf_token") == "t"
    posted, add, changed = edit_posted_rows(MultiDict([("rows-0-code", "a"), ("rows-1-caps", "x"),
                                                       ("rows-1-caps", "y"), ("add_row", "rows")]), "rows", max_rows=5)
    assert add and changed and posted.getlist("rows-1-caps") == ["x", "y"]
    _p, add, changed = edit_posted_rows(MultiDict([("rows-0-code", "a"), ("add_row", "rows")]), "rows", max_rows=1)
    assert changed and not add
