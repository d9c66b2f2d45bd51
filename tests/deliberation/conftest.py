"""Deliberation fixtures: debates, comments, and a stand-in for another module's kind."""

from __future__ import annotations

import pytest

from civic.core import content
from civic.extensions import db


@pytest.fixture
def official(factory):
    return factory.user(email="elu@example.org", name="Jean Élu", roles=["official"])


@pytest.fixture
def make_debate(official):
    from civic.deliberation import services

    def make(author=None, title="Faut-il piétonniser la rue ?", body="Le cadre du débat.", **kw):
        d = services.open_debate(author or official, title, body, **kw)
        db.session.commit()
        return d
    return make


@pytest.fixture
def say():
    """``say(actor, item, body, alignment=None, parent=None)``: post a comment through the service."""
    from civic.deliberation import services

    def post(actor, item, body="Un argument.", alignment=None, parent=None, kind=None):
        kind_name = kind or content.kind_of(item).name
        c = services.post_comment(actor, kind_name, item.id, body, alignment, parent.id if parent else None)
        db.session.commit()
        return c
    return post


@pytest.fixture
def rate():
    from civic.deliberation import services

    def do(actor, comment, value):
        services.react(actor, comment, value)
        db.session.commit()
    return do


class ThingState:
    """Whether the stand-in kind accepts comments now (its ``comments_open`` hook)."""

    open = True


@pytest.fixture
def thing_kind(monkeypatch):
    """A participatory kind from "another module" that only registers the
    ``comments`` hook, as the petitions package does. It borrows the District
    table so no test-only schema is needed; its page URL is /things/<id>."""
    from civic.accounts.models import District

    state = ThingState()
    kind = content.ContentKind(
        name="thing", model=District, label=lambda: "Thing", title=lambda d: d.name,
        url=lambda d: f"/things/{d.id}", district_id=lambda d: None,
        hooks={"comments": {"alignment": False}, "comments_open": lambda d: state.open})
    monkeypatch.setitem(content._KINDS, "thing", kind)
    kind.state = state
    return kind


@pytest.fixture
def thing(factory, thing_kind):
    return factory.district(name="Pétition pour des bancs place Arnaud-Bernard")


def count_queries(fn):
    """Run ``fn()`` and return (result, number of SQL statements)."""
    import sqlalchemy as sa

    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return result, len(statements)
