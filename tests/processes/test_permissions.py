"""The rules of processes, one predicate each (civic/processes/permissions.py):
the services require them and the pages show or hide actions with them."""

import pytest

from civic.core import content
from civic.core.errors import PermissionDenied
from civic.extensions import db
from civic.processes import permissions, services
from civic.processes.models import ProposalState


def test_officials_manage_the_processes_of_their_district_and_admins_all(factory, admin, make_process):
    here, elsewhere = factory.district(), factory.district()
    local = make_process(district=here)
    city_wide = make_process()
    official_here = factory.user(roles=[("official", here)])
    assert permissions.can_manage_process(official_here, local)
    assert not permissions.can_manage_process(official_here, city_wide)  # a city-wide process needs a city-wide grant
    assert not permissions.can_manage_process(factory.user(roles=[("official", elsewhere)]), local)
    assert permissions.can_manage_process(admin, local) and permissions.can_manage_process(admin, city_wide)
    assert not permissions.can_manage_process(None, local)
    assert permissions.can_create_process(admin) and not permissions.can_create_process(official_here)
    assert not permissions.can_publish_process(official_here, local)


def test_officials_of_the_proposals_district_answer_it(factory, make_process, make_proposal):
    here, elsewhere = factory.district(), factory.district()
    p = make_proposal(make_process(), district_id=here.id)  # a city-wide process, a proposal for one district
    assert permissions.can_answer_proposal(factory.user(roles=[("official", here)]), p)
    assert not permissions.can_answer_proposal(factory.user(roles=[("official", elsewhere)]), p)
    assert not permissions.can_answer_proposal(factory.user(), p)


def test_a_hidden_proposal_is_visible_to_moderators_of_its_district_only(factory, make_process, make_proposal):
    here = factory.district()
    p = make_proposal(make_process(), district_id=here.id)
    content.hook("proposal", "set_hidden")(p, True)
    db.session.commit()
    assert permissions.can_view_proposal(factory.user(roles=[("moderator", here)]), p)
    assert not permissions.can_view_proposal(factory.user(roles=[("moderator", factory.district())]), p)
    assert not permissions.can_view_proposal(None, p)


def test_the_author_edits_until_the_first_support_and_never_amends_their_own(factory, make_process, make_proposal):
    author, other = factory.user(), factory.user()
    p = make_proposal(make_process(), author=author)
    assert permissions.can_edit_proposal(author, p) and not permissions.can_edit_proposal(other, p)
    refusal = permissions.can_propose_amendment(author, p)
    assert not refusal and "You wrote this proposal" in refusal.message
    assert permissions.can_propose_amendment(other, p)
    assert not permissions.can_act_as_author(other, p)
    assert not permissions.can_act_as_author(factory.user(confirmed=False), p)
    services.support_proposal(other, p)
    db.session.commit()
    assert not permissions.can_edit_proposal(author, p)


def test_services_refuse_with_the_predicates_reason(factory, make_process, make_proposal):
    p = make_proposal(make_process())
    with pytest.raises(PermissionDenied) as err:
        services.withdraw_proposal(factory.user(), p, "Parce que")
    assert err.value.message == "Only the author can do this."
    with pytest.raises(PermissionDenied):
        services.answer_proposal(factory.user(), p, "accepted", "Une réponse assez longue ici.")
    assert p.state == ProposalState.PUBLISHED
