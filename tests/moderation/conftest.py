"""Moderation fixtures: the fake kind and its page, items, moderators."""

from __future__ import annotations

import pytest

from civic.core import content
from civic.extensions import db
from tests.moderation import fakes


@pytest.fixture(autouse=True)
def fake_kind(app):
    fakes.register(app)
    yield fakes.FAKE_KIND
    fakes.unregister()


@pytest.fixture
def make_item():
    """``make_item(author, district=None, body=..., notify=False)``: a fake item;
    with ``notify`` the creation listeners run, as a domain service would."""
    def make(author, district=None, *, title="A contribution", body="Some text about the neighbourhood.",
             parent=None, notify=False):
        item = fakes.FakeItem(author_id=getattr(author, "id", author), district_id=getattr(district, "id", district),
                              title=title, body=body, parent=parent)
        db.session.add(item)
        db.session.flush()
        if notify:
            content.created("fakeitem", item, author)
        db.session.commit()
        return item
    return make


@pytest.fixture
def moderator(factory):
    return factory.user(email="mod@example.org", name="Mona Moderator", roles=("moderator",))


@pytest.fixture
def moderator2(factory):
    return factory.user(email="mod2@example.org", name="Marc Moderator", roles=("moderator",))


@pytest.fixture
def author(factory):
    return factory.user(email="author@example.org", name="Alice Author")


@pytest.fixture
def residents(factory):
    return [factory.user(email=f"resident{i}@example.org", name=f"Resident {i}") for i in range(1, 6)]


@pytest.fixture
def other_client(app):
    """A second browser (another moderator working at the same time)."""
    from tests.conftest import IsolatedClient

    app.test_client_class = IsolatedClient
    return app.test_client()
