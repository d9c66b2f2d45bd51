"""What every moderation sub-feature shares: items reached through the
content registry, the people to alert, statements and reasons checked the
same way, and the two race-safe writes (insert-or-nothing, compare-and-set)."""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import Role, User, UserRole
from civic.core import content
from civic.core.errors import NotFound, ValidationError
from civic.core.sanitize import clean_text
from civic.extensions import db
from civic.moderation.models import ReportReason

log = logging.getLogger("civic.moderation")

MAX_STATEMENT = 4000
MIN_STATEMENT = 20


# --- items, through the content registry ------------------------------------------

def item(kind_name: str, object_id: int):
    """Load an item without the visibility check (moderators see hidden items)."""
    kind = content.get_kind(kind_name)
    return kind, db.session.get(kind.model, object_id)


def item_title(kind, obj) -> str:
    if obj is None:
        return _("Content no longer available")
    return kind.title(obj)


def item_text(kind, obj) -> str:
    """The raw text of an item for moderators: ``text`` hook, else ``excerpt``."""
    if obj is None:
        return ""
    for name in ("text", "excerpt"):
        fn = kind.hooks.get(name)
        if fn:
            return fn(obj) or ""
    return ""


def load_items(pairs) -> dict[tuple[str, int], object]:
    """Load many ``(kind, id)`` items with one query per kind."""
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind_name, object_id in pairs:
        by_kind[kind_name].add(object_id)
    found = {}
    for kind_name, ids in by_kind.items():
        try:
            kind = content.get_kind(kind_name)
        except NotFound:
            continue
        pk = sa.inspect(kind.model).primary_key[0]
        for obj in db.session.scalars(sa.select(kind.model).where(pk.in_(ids))).all():
            found[(kind_name, getattr(obj, pk.key))] = obj
    return found


def describe(kind_name: str, object_id: int, obj) -> dict:
    """What the queue, a case and an appeal show of an item."""
    try:
        kind = content.get_kind(kind_name)
    except NotFound:
        return {"kind": kind_name, "kind_label": kind_name, "title": _("Content no longer available"),
                "url": None, "excerpt": "", "context": None}
    ctx = kind.hooks.get("context")
    excerpt = kind.hooks.get("excerpt")
    return {
        "kind": kind_name, "kind_label": str(kind.label()), "title": item_title(kind, obj),
        "url": kind.url(obj) if obj is not None else None,
        "excerpt": (excerpt(obj) if excerpt else item_text(kind, obj)) if obj is not None else "",
        "context": ctx(obj) if (ctx and obj is not None) else None,
    }


# --- people -------------------------------------------------------------------------

def moderators_for(district_id: int | None) -> list[User]:
    """People to alert about an item: moderators whose scope covers its
    district (city-wide items: unlimited moderators). Administrators hold
    every role but are only alerted when no moderator is appointed, so that
    nothing goes unseen without flooding them."""
    stmt = (sa.select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.MODERATOR, User.deleted_at.is_(None), User.email.is_not(None)))
    if district_id is None:
        stmt = stmt.where(UserRole.district_id.is_(None))
    else:
        stmt = stmt.where(sa.or_(UserRole.district_id.is_(None), UserRole.district_id == district_id))
    users = db.session.scalars(stmt.distinct().order_by(User.id)).all()
    if not users:
        users = db.session.scalars(
            sa.select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.deleted_at.is_(None), User.email.is_not(None))
            .distinct().order_by(User.id)).all()
    return list(users)


def can_mail(user: User | None) -> bool:
    return user is not None and user.deleted_at is None and bool(user.email)


# --- input checked the same way everywhere ----------------------------------------------

def clean_statement(statement: str | None, field: str = "statement") -> str:
    text = clean_text(statement, multiline=True)
    if len(text) < MIN_STATEMENT:
        raise ValidationError(fields={field: _("Explain the reasons in at least %(n)d characters: the person "
                                               "concerned receives this text.", n=MIN_STATEMENT)})
    if len(text) > MAX_STATEMENT:
        raise ValidationError(fields={field: _("Use at most %(n)d characters.", n=MAX_STATEMENT)})
    return text


def parse_reason(code, field: str = "reason", required: bool = True) -> ReportReason | None:
    if not code:
        if required:
            raise ValidationError(fields={field: _("Choose a reason from the list.")})
        return None
    try:
        return ReportReason(code)
    except ValueError:
        raise ValidationError(fields={field: _("Choose a reason from the list.")}) from None


def gather(errors: dict, check, *args, **kwargs):
    """Run one check of a form's input; on a ValidationError add its field
    messages to ``errors`` (so every field says what is wrong at once) and
    return None."""
    try:
        return check(*args, **kwargs)
    except ValidationError as err:
        errors.update(err.fields)
        return None


# --- race-safe writes ----------------------------------------------------------------

def insert_or_nothing(model, **values):
    """INSERT that does nothing on a unique conflict; returns the new row's
    primary key (its id) or None.

    Used where two requests may race for the same unique row (one open case
    per item, one report per person, one appeal per decision). A savepoint
    would also work, but releasing one fires the session's after-commit hook,
    which dispatches already-queued jobs before the real commit.
    """
    table = model.__table__
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return db.session.execute(stmt).scalar()
