"""Deliberation fixtures: debates, comments, and a stand-in for another module's kind."""

from __future__ import annotations

import pytest

from civic.core import content
from tests.deliberation import factories as deliberation_factories


@pytest.fixture
def official(factory):
    return factory.user(email="elu@example.org", name="Jean Élu", roles=["official"])


@pytest.fixture
def make_debate(official):
    """``make_debate(author=official, title=..., body=..., **kw)``: open a debate through the service."""
    def make(author=None, **kw):
        return deliberation_factories.debate(author or official, **kw)
    return make


@pytest.fixture
def say():
    """``say(actor, item, body, alignment=None, parent=None)``: post a comment through the service."""
    return deliberation_factories.comment


@pytest.fixture
def rate():
    """``rate(actor, comment, value)``: react through the service."""
    return deliberation_factories.reaction


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

