"""Budget fixtures: an edition builder that goes through the real services
for the edition and its phases, and builds projects as rows."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from civic.budgets import services
from civic.budgets.models import Project, ProjectStatus
from civic.core import phases
from civic.core.time import utcnow
from civic.extensions import db


def enter_phase(admin, edition, code: str, reason: str = "test") -> None:
    phase = next(p for p in phases.phases_for(services.KIND, edition.id) if p.code == code)
    services.move_phase(admin, edition, phase.id, reason)
    db.session.commit()


@pytest.fixture
def budget(app, factory):
    """``budget.make(rule="approval", ...)`` -> namespace with edition, envelopes,
    projects, districts and people (official, admin, mediator, voters)."""
    north = factory.district(code="N", name="Nord")
    south = factory.district(code="S", name="Sud")
    admin = factory.user(email="admin@example.org", roles=["admin"])
    official = factory.user(email="elue@example.org", roles=["official"])
    mediator = factory.user(email="mediator@example.org", roles=["mediator"])

    def make(rule="approval", counting="greedy", phase="voting", envelopes=((None, 100_000),),
             projects=(("Bancs", 30_000), ("Arbres", 50_000), ("Fontaine", 40_000), ("Piste cyclable", 90_000)),
             **params):
        now = utcnow()
        defaults = {"approval": {"min_choices": 1, "max_choices": 2}, "knapsack": {},
                    "cumulative": {"points_total": 5, "points_max_per_project": 3}, "ranking": {"rank_max": 2}}
        kwargs = dict(defaults[rule], **params)
        district_of = {"N": north, "S": south, None: None}
        total = sum(a for _d, a in envelopes)
        edition = services.create_edition(
            official, title="Budget participatif 2027", description="Un **budget** pour tous.", total_amount=total,
            rules=services.RuleParams(vote_rule=rule, selection_rule=counting, **kwargs),
            # The requested phase started a day ago and lasts ten days; the others around it.
            phase_starts={code: now + timedelta(days=10 * (j - services.PHASE_CODES.index(phase or "information")) - 1)
                          for j, code in enumerate(services.PHASE_CODES)})
        envs = []
        for code, amount in envelopes:
            d = district_of[code]
            envs.append(services.set_envelope(official, edition, d.id if d else None, amount))
        db.session.commit()
        made = []
        for spec in projects:
            title, cost = spec[0], spec[1]
            env = envs[spec[2]] if len(spec) > 2 else envs[0]
            p = Project(edition_id=edition.id, envelope_id=env.id, title=title, description=f"{title} pour le quartier",
                        description_html=f"<p>{title} pour le quartier</p>", estimated_cost=cost, final_cost=cost,
                        status=ProjectStatus.FEASIBLE, author_id=None)
            db.session.add(p)
            made.append(p)
        db.session.commit()
        if phase:
            enter_phase(admin, edition, phase)
        return SimpleNamespace(edition=edition, envelopes=envs, envelope=envs[0], projects=made)

    def voter(district=None, **kw):
        return factory.user(verified_in=district or north, **kw)

    return SimpleNamespace(make=make, voter=voter, north=north, south=south, admin=admin, official=official,
                           mediator=mediator, enter_phase=lambda edition, code: enter_phase(admin, edition, code))


def count_rows(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def web(app):
    """``with web():`` runs a service that queues mail as a web request would:
    mail templates go through the site's context processors, which need one."""
    return app.test_request_context
