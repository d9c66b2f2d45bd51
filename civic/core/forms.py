"""What every HTML form view does with a service: run it, commit once, or put
the service's reasons next to the form's fields and roll back."""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from civic.core.errors import InvalidTransition, RateLimited, ValidationError
from civic.extensions import db

FORM_ERRORS = (ValidationError, RateLimited, InvalidTransition)


def select_choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the ``SelectChoice`` list a select, radio or
    checkbox field takes (WTForms deprecates plain tuples). Labels are kept as
    given, so lazy translations stay lazy."""
    return [SelectChoice(value, label) for value, label in pairs]


def coerce_optional_int(value):
    """A select's value as an id, or None for its empty choice."""
    return int(value) if value not in (None, "", "None") else None


def apply_errors(form, err) -> None:
    """Put a service error's messages next to the form's fields (or at the top)."""
    placed = False
    editors = getattr(form, "row_editors", ())
    for name, message in (getattr(err, "fields", None) or {}).items():
        editor = next((e for e in editors if e.owns(name)), None)
        if editor is not None:
            editor.errors[name] = message
            placed = True
            continue
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [message]
            placed = True
    if not placed:
        form.form_errors.append(err.message)


def run_service(form, fn, *args, **kwargs):
    """Run ``fn``; commit on success and return ``(True, result)``; on a
    validation, rate-limit or state error, roll back, attach the message to
    ``form`` (the input stays in the form) and return ``(False, None)``."""
    try:
        result = fn(*args, **kwargs)
    except FORM_ERRORS as err:
        db.session.rollback()
        apply_errors(form, err)
        form.error_status = err.status  # 422 invalid, 409 no longer possible, 429 too many
        return False, None
    db.session.commit()
    return True, result


def form_status(form) -> int:
    """The status of a form shown again: the service error's own status (409
    for a state conflict, 429 when rate limited), 422 for invalid input, 200
    when there is nothing wrong."""
    if getattr(form, "error_status", None):
        return form.error_status
    if any(e.errors or e.form_errors for e in getattr(form, "row_editors", ())):
        return 422
    return 422 if form.errors or form.form_errors else 200


# --- repeated rows (structured editors) ---------------------------------------------

ADD_ROW = "add_row"
REMOVE_ROW = "remove_row"


class RowEditor:
    """A list of rows of the same few inputs, named ``<name>-<i>-<field>``
    (``next_steps-0-date``, ``next_steps-0-text``, …), edited without
    JavaScript: an ``add_row`` submit button whose value is ``name`` adds an
    empty row, a ``remove_row`` button whose value is ``<name>-<i>`` drops row
    ``i``; the page is then shown again with every input kept and nothing
    saved (``changed``). ``civic/static/rows.js`` does the same in the page.

    ``rows`` are dicts of strings, in the order shown; rows left blank are kept
    so that a service's message ``fields={"next_steps-1-date": …}`` (the index
    of the row in the list it was given) lands next to the right input.
    ``errors`` maps an input's id to its message; a message for ``name``
    itself (too many rows) is shown next to the add button. Shaped like a form
    for ``run_service`` (through ``attach_rows``), ``form_status`` and the
    ``error_summary`` macro."""

    def __init__(self, name: str, fields, rows=(), *, max_rows: int = 30, min_rows: int = 1):
        self.name, self.fields, self.max_rows = name, tuple(fields), max_rows
        self.rows = [{f: "" if row.get(f) is None else str(row.get(f)) for f in self.fields} for row in rows]
        while len(self.rows) < min_rows:
            self.rows.append(self.blank())
        self.errors: dict[str, str] = {}
        self.form_errors: list[str] = []
        self.changed = False

    def blank(self) -> dict:
        return {f: "" for f in self.fields}

    @classmethod
    def from_form(cls, name: str, fields, formdata, *, max_rows: int = 30, min_rows: int = 1,
                  too_many: str | None = None) -> RowEditor:
        """The rows posted in ``formdata`` (renumbered densely, in index order:
        the script leaves gaps when a row is removed), with the add or remove
        button applied when one of this editor's was pressed."""
        prefix = name + "-"
        found: dict[int, dict] = {}
        for key in formdata:
            if not key.startswith(prefix):
                continue
            index, sep, field = key[len(prefix):].partition("-")
            if sep and index.isdigit() and len(index) < 6 and field in fields:
                found.setdefault(int(index), {})[field] = formdata.get(key, "")
        editor = cls(name, fields, [found[i] for i in sorted(found)], max_rows=max_rows, min_rows=0)
        if formdata.get(ADD_ROW) == name:
            editor.changed = True
            if len(editor.rows) >= max_rows:
                editor.errors[name] = too_many or _("You can add at most %(n)d rows.", n=max_rows)
            else:
                editor.rows.append(editor.blank())
        removed = formdata.get(REMOVE_ROW, "")
        if removed.startswith(prefix) and removed[len(prefix):].isdigit():
            editor.changed = True
            index = int(removed[len(prefix):])
            if index < len(editor.rows):
                del editor.rows[index]
        while len(editor.rows) < min_rows:
            editor.rows.append(editor.blank())
        return editor

    def input_id(self, index: int, field: str) -> str:
        return f"{self.name}-{index}-{field}"

    def values(self) -> list[dict]:
        """The rows as the services take them (blank rows included: they
        skip them, and the indices of their messages stay those shown)."""
        return [dict(row) for row in self.rows]

    def owns(self, key: str) -> bool:
        return key == self.name or key.startswith(self.name + "-")

    def __iter__(self):
        # For the error summary: each message with the input it links to.
        for key, message in self.errors.items():
            yield SimpleNamespace(id=key if key != self.name else f"{self.name}-add", errors=[message])


def attach_rows(form, *editors: RowEditor):
    """Let ``run_service`` put a service's row messages on ``editors`` and
    ``form_status`` count them. Returns ``form``."""
    form.row_editors = editors
    return form


def edit_posted_rows(formdata, name: str, *, max_rows: int):
    """The add and remove buttons of the editors for a WTForms ``FieldList``
    named ``name`` (inputs ``<name>-<i>-<field>``): returns ``(formdata with
    the removed row dropped and the rows renumbered densely, add: whether one
    empty row is to be appended, changed: whether one of these buttons was
    pressed)``. Appending is refused (add False) at ``max_rows``."""
    from werkzeug.datastructures import MultiDict

    prefix = name + "-"
    removed = formdata.get(REMOVE_ROW, "")
    drop = int(removed[len(prefix):]) if removed.startswith(prefix) and removed[len(prefix):].isdigit() else None
    rows: dict[int, list] = {}
    other = MultiDict()
    for key, values in formdata.lists():
        index, sep, field = key[len(prefix):].partition("-") if key.startswith(prefix) else ("", "", "")
        if sep and index.isdigit() and len(index) < 6:
            rows.setdefault(int(index), []).append((field, values))
        else:
            other.setlist(key, values)
    kept = [rows[i] for i in sorted(rows) if i != drop]
    for i, fields in enumerate(kept):
        for field, values in fields:
            other.setlist(f"{prefix}{i}-{field}", values)
    wants_add = formdata.get(ADD_ROW) == name
    return other, wants_add and len(kept) < max_rows, wants_add or drop is not None
