"""A test-only participatory kind with every moderation hook, so moderation is
tested without depending on the other modules' kinds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, render_template_string
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import content
from civic.core.time import utcnow
from civic.extensions import db


class FakeItem(db.Model):
    __tablename__ = "test_fake_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(sa.Integer)
    district_id: Mapped[int | None] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    parent: Mapped[str | None] = mapped_column(sa.String(200))
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


def _can_view(user, obj) -> bool:
    if obj.hidden_at is None:
        return True
    return bool(getattr(user, "is_authenticated", False)) and user.has_any_role("moderator")


def _set_hidden(obj, hidden: bool) -> None:
    obj.hidden_at = utcnow() if hidden else None


def _redact(obj, new_text: str) -> None:
    obj.body = new_text


def _authored_by(user_id: int):
    return db.session.scalars(sa.select(FakeItem).where(FakeItem.author_id == user_id)).all()


def _context(obj):
    return (obj.parent, "/fake/parent") if obj.parent else None


FAKE_KIND = content.ContentKind(
    name="fakeitem", model=FakeItem, label=lambda: "Fake item", title=lambda o: o.title,
    url=lambda o: f"/fake/{o.id}", can_view=_can_view,
    hooks={"excerpt": lambda o: o.body[:200], "set_hidden": _set_hidden, "redact": _redact,
           "text": lambda o: o.body, "authored_by": _authored_by, "context": _context},
)

PAGE = """{% extends "base.html" %}{% block title %}{{ item.title }}{% endblock %}
{% block content %}<h1>{{ item.title }}</h1><p class="body">{{ item.body }}</p>{{ panels("fakeitem", item) }}{% endblock %}"""

pages = Blueprint("fakepages", __name__)


@pages.get("/fake/<int:item_id>")
def show(item_id):
    _kind, item = content.load("fakeitem", item_id, current_user)
    return render_template_string(PAGE, item=item)


def register(app) -> None:
    content.register_kind(FAKE_KIND)
    if "fakepages" not in app.blueprints:
        app.register_blueprint(pages)


def unregister() -> None:
    content._KINDS.pop("fakeitem", None)
