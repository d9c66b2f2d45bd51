"""Fixtures of the petitions tests: ``pf`` (the factories of
``tests/petitions/factories.py``), ``tally`` and ``setting``. Shared helpers
(``count_rows``, ``reload``, ``count_queries``) are in ``tests/helpers.py``."""

from __future__ import annotations

import pytest

from civic.core.settings import store_setting
from civic.extensions import db
from tests.petitions import factories


@pytest.fixture
def pf(app):
    return factories


@pytest.fixture
def tally(app):
    """Run the tally job as the scheduler would, then reload."""
    def run():
        from civic.petitions.tally import tally_signatures

        n = tally_signatures()
        db.session.commit()
        db.session.expire_all()
        return n
    return run


@pytest.fixture
def setting(app):
    def set_(key, value):
        store_setting(f"petitions.{key}", value)
        db.session.commit()
    return set_
