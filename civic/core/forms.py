"""What every HTML form view does with a service: run it, commit once, or put
the service's reasons next to the form's fields and roll back."""

from __future__ import annotations

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
    for name, message in (getattr(err, "fields", None) or {}).items():
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
    return 422 if form.errors or form.form_errors else 200
