"""Moderation's rules in one place (civic/moderation/permissions.py): every
moderator's service refuses a resident without the role, and a moderator
limited to a district outside it; what residents may do is listed."""

from __future__ import annotations

import inspect

import pytest

from civic.core.errors import PermissionDenied
from civic.moderation import permissions, services
from tests.moderation import factories as make

# Services a resident calls about their own reports, decisions and appeals.
FOR_RESIDENTS = {"reportable", "report_content", "appeal_decision", "own_decision", "my_decisions"}


def _actor_services():
    """Every public service of the package whose first parameter is the actor."""
    return {name for name, fn in inspect.getmembers(services, inspect.isfunction)
            if not name.startswith("_") and list(inspect.signature(fn).parameters)[:1] == ["actor"]}


@pytest.fixture
def world(moderator, author, residents, make_item):
    """City-wide: a decision appealed, and an open case."""
    appeal = make.appeal(author, make.decision(moderator, make_item(author), reporter=residents[0]))
    reported = make_item(author)
    make.report(reported, residents[1])
    return {"open_case": make.case(reported), "appeal": appeal}


def _calls(w, user_id):
    case, appeal = w["open_case"], w["appeal"]
    return {
        "moderation_queue": lambda a: services.moderation_queue(a),
        "open_case_count": lambda a: services.open_case_count(a),
        "get_case": lambda a: services.get_case(a, case.id),
        "case_detail": lambda a: services.case_detail(a, case.id),
        "decide_case": lambda a: services.decide_case(a, case.id, "keep", "", "Nothing against the rules here."),
        "block_user": lambda a: services.block_user(a, user_id, 7, "spam", "Advertising messages everywhere."),
        "unblock_user": lambda a: services.unblock_user(a, user_id, "Apologised in writing."),
        "person_summary": lambda a: services.person_summary(a, user_id),
        "pending_appeals": lambda a: services.pending_appeals(a),
        "get_appeal": lambda a: services.get_appeal(a, appeal.id),
        "appeal_detail": lambda a: services.appeal_detail(a, appeal.id),
        "decide_appeal": lambda a: services.decide_appeal(a, appeal.id, "upheld", "The message still advertises."),
    }


def test_every_moderators_service_refuses_a_resident_and_a_moderator_of_another_district(factory, world, author):
    calls = _calls(world, author.id)
    # A new service must be listed here or among the residents' ones.
    assert set(calls) | FOR_RESIDENTS == _actor_services()
    resident = factory.user(email="nobody@example.org")
    elsewhere = factory.user(email="elsewhere@example.org", roles=[("moderator", factory.district())])
    for call in calls.values():
        with pytest.raises(PermissionDenied):
            call(resident)
    # The items are city-wide: a district moderator lists nothing and may open, decide or block nothing.
    for name in ("get_case", "case_detail", "decide_case", "block_user", "unblock_user", "get_appeal",
                 "appeal_detail", "decide_appeal"):
        with pytest.raises(PermissionDenied):
            calls[name](elsewhere)
    assert services.moderation_queue(elsewhere) == ([], False) and services.pending_appeals(elsewhere) == []


def test_the_predicates_say_who_moderates_what(factory, moderator, author, make_item, residents):
    district = factory.district()
    local = factory.user(roles=[("moderator", district)])
    admin = factory.user(roles=("admin",))
    item = make_item(author, district)
    make.report(item, residents[0])
    case = make.case(item)
    assert permissions.can_moderate_case(local, case) and permissions.can_moderate_case(moderator, case)
    assert not permissions.can_moderate_case(residents[1], case) and not permissions.can_moderate_case(None, case)
    assert permissions.moderates_everywhere(moderator) and permissions.moderates_everywhere(admin)
    assert not permissions.moderates_everywhere(local) and not permissions.can_block_user(local)
    assert permissions.can_view_queue(local) and not permissions.can_view_queue(residents[1])
    assert permissions.can_skip_premoderation(local, district.id)
    assert not permissions.can_skip_premoderation(local, None) and not permissions.can_skip_premoderation(None, None)
