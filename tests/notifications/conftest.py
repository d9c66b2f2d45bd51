"""Notifications fixtures: a followable stand-in kind that declares events,
and helpers to emit an event through core and count what people got."""

from __future__ import annotations

import pytest

from civic.core import content, events, follows
from civic.extensions import db


@pytest.fixture
def thing_kind(monkeypatch):
    """A kind from "another module" that is followable and declares an
    official answer and a progress event. It borrows the District table so
    no test-only schema is needed; its page is /things/<id>."""
    from civic.accounts.models import District

    kind = content.ContentKind(
        name="thing", model=District, label=lambda: "Thing", title=lambda d: d.name,
        url=lambda d: f"/things/{d.id}", district_id=lambda d: d.id,
        hooks={"followable": True, "events": {"answered": "answers", "phase_changed": "progress"}})
    monkeypatch.setitem(content._KINDS, "thing", kind)
    return kind


@pytest.fixture
def thing(factory, thing_kind):
    return factory.district(name="Des bancs place Arnaud-Bernard")


@pytest.fixture
def follow():
    def do(user, kind, object_id):
        follows.follow(user, kind, object_id)
        db.session.commit()
    return do


@pytest.fixture
def emit(run_jobs):
    """``emit(kind, id, type, **kw)`` in a committed transaction, then the
    fan-out job (inline, or through the RQ worker with Redis)."""
    def do(kind, object_id, event_type, **kw):
        event = events.emit(kind, object_id, event_type, **kw)
        event_id = event.id
        db.session.commit()
        run_jobs()
        return db.session.get(events.Event, event_id)
    return do
