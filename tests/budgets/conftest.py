"""Budget fixtures: an edition builder over tests/budgets/factories.py (real
services for the edition, envelopes and phases; projects as rows)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from . import factories

DEFAULT_PROJECTS = (("Bancs", 30_000), ("Arbres", 50_000), ("Fontaine", 40_000), ("Piste cyclable", 90_000))


@pytest.fixture
def budget(app, factory):
    """``budget.make(rule="approval", ...)`` -> namespace with edition, envelopes,
    projects, districts and people (official, admin, mediator, voters)."""
    north = factory.district(code="N", name="Nord")
    south = factory.district(code="S", name="Sud")
    admin = factory.user(email="admin@example.org", roles=["admin"])
    official = factory.user(email="elue@example.org", roles=["official"])
    mediator = factory.user(email="mediator@example.org", roles=["mediator"])
    district_of = {"N": north, "S": south, None: None}

    def make(rule="approval", counting="greedy", phase="voting", envelopes=((None, 100_000),),
             projects=DEFAULT_PROJECTS, **params):
        edition = factories.edition(official, rule=rule, counting=counting, phase=phase,
                                    envelopes=[(district_of[code], amount) for code, amount in envelopes], **params)
        envs = list(edition.envelopes)
        made = [factories.project(edition, envs[spec[2]] if len(spec) > 2 else envs[0], spec[0], spec[1])
                for spec in projects]
        if phase:
            factories.enter_phase(admin, edition, phase)
        return SimpleNamespace(edition=edition, envelopes=envs, envelope=envs[0], projects=made)

    def voter(district=None, **kw):
        return factory.user(verified_in=district or north, **kw)

    return SimpleNamespace(make=make, voter=voter, north=north, south=south, admin=admin, official=official,
                           mediator=mediator,
                           enter_phase=lambda edition, code: factories.enter_phase(admin, edition, code))


@pytest.fixture
def web(app):
    """``with web():`` runs a service that queues mail as a web request would:
    mail templates go through the site's context processors, which need one."""
    return app.test_request_context
