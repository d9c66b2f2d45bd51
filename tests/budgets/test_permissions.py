"""Who may do what in budgets (civic/budgets/permissions.py): every service
that needs a role refuses a resident without it, district grants cover their
district only (the whole city needs a city-wide grant), and the pages offer
only the actions the same predicates allow."""

from __future__ import annotations

import inspect
from unittest.mock import MagicMock

import pytest

from civic.budgets import permissions
from civic.budgets.services import ballots, editions, implementation, projects, results
from civic.core.errors import PermissionDenied
from civic.extensions import db

from . import factories

# Open to any confirmed resident (then checked against the phase and the rule).
FOR_RESIDENTS = {"submit_project", "cast_ballot"}
ROLE_SERVICES = [pytest.param(fn, id=name) for module in (editions, projects, ballots, results, implementation)
                 for name, fn in inspect.getmembers(module, inspect.isfunction)
                 if fn.__module__ == module.__name__ and not name.startswith("_") and name not in FOR_RESIDENTS
                 and next(iter(inspect.signature(fn).parameters), None) == "actor"]


def test_the_walk_finds_the_services_that_need_a_role():
    assert len(ROLE_SERVICES) >= 10


@pytest.mark.parametrize("fn", ROLE_SERVICES)
def test_a_resident_without_a_role_is_refused_first(app, factory, fn):
    resident = factory.user(verified_in=factory.district())
    params = list(inspect.signature(fn).parameters.values())[1:]
    args = [MagicMock(name=p.name) for p in params if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    kwargs = {p.name: MagicMock(name=p.name) for p in params if p.kind == p.KEYWORD_ONLY}
    with app.test_request_context("/"), pytest.raises(PermissionDenied):
        fn(resident, *args, **kwargs)


def test_district_grants_cover_their_district_and_the_whole_city_needs_a_city_wide_grant(budget, factory):
    b = budget.make("approval", phase="review", envelopes=(("N", 60_000), (None, 40_000)),
                    projects=(("Bancs", 30_000, 0), ("Arbres", 20_000, 1)))
    north_project, city_project = b.projects
    north_env, city_env = b.envelopes
    official_n = factory.user(roles=[("official", budget.north)])
    mediator_n = factory.user(roles=[("mediator", budget.north)])
    assert permissions.can_review_project(official_n, north_project)
    assert not permissions.can_review_project(official_n, city_project)
    assert not permissions.can_manage_edition(official_n, b.edition)
    assert permissions.can_review_project(budget.official, city_project)
    assert permissions.can_manage_edition(budget.official, b.edition)
    assert permissions.can_enter_paper_ballot(mediator_n, north_env)
    assert not permissions.can_enter_paper_ballot(mediator_n, city_env)
    assert not permissions.can_move_phase(budget.official, b.edition) and permissions.can_move_phase(budget.admin)


def test_a_district_mediator_is_offered_paper_ballots_only_for_their_district(client, login, budget, factory):
    b = budget.make("approval", envelopes=(("N", 60_000), (None, 40_000)),
                    projects=(("Bancs", 30_000, 0), ("Arbres", 20_000, 1)))
    north_env, city_env = b.envelopes
    login(factory.user(roles=[("mediator", budget.north)]))
    html = client.get(f"/budgets/{b.edition.id}").get_data(as_text=True)
    assert "Enter a paper ballot for Nord" in html
    assert "Enter a paper ballot for Whole city" not in html  # it would answer 403
    assert client.get(f"/budgets/{b.edition.id}/paper/{city_env.id}").status_code == 403
    assert client.get(f"/budgets/{b.edition.id}/paper/{north_env.id}").status_code == 200


def test_residents_see_no_official_actions_and_officials_see_theirs(client, login, budget):
    b = budget.make("approval", phase="review")
    project = b.projects[0]
    login(budget.voter())
    assert client.get("/admin/").status_code == 403  # no staff role: no back office, where editions are created
    assert "Manage this edition" not in client.get(f"/budgets/{b.edition.id}").get_data(as_text=True)
    assert "For officials" not in client.get(f"/budgets/projects/{project.id}").get_data(as_text=True)
    assert client.get(f"/budgets/{b.edition.id}/manage").status_code == 403
    assert client.get("/budgets/new").status_code == 403
    client.post("/account/logout")
    login(budget.official)
    assert "Create an edition" in client.get("/admin/").get_data(as_text=True)
    assert "Manage this edition" in client.get(f"/budgets/{b.edition.id}").get_data(as_text=True)
    assert "For officials" in client.get(f"/budgets/projects/{project.id}").get_data(as_text=True)
    manage = client.get(f"/budgets/{b.edition.id}/manage").get_data(as_text=True)
    assert "Move the phase by hand" not in manage  # admins only
    client.post("/account/logout")
    login(budget.admin)
    assert "Move the phase by hand" in client.get(f"/budgets/{b.edition.id}/manage").get_data(as_text=True)


def test_hidden_projects_stay_visible_to_moderators(client, login, budget, factory):
    b = budget.make("approval", phase="submission")
    project = factories.project(b.edition, b.envelope, "Kiosque", 1_000)
    project.hidden = True
    db.session.commit()
    login(factory.user(roles=["moderator"]))
    assert client.get(f"/budgets/projects/{project.id}").status_code == 200
    assert "Kiosque" in client.get(f"/budgets/{b.edition.id}/projects").get_data(as_text=True)
