"""Deliberation's rules, asked directly: the predicates the services require
and the pages use to show or hide an action."""

from datetime import timedelta

from flask_login import AnonymousUserMixin

from civic.core.settings import store_setting
from civic.core.time import utcnow
from civic.deliberation import permissions, services
from civic.deliberation.models import Badge


def test_who_may_comment_and_why_not(app, factory):
    assert permissions.can_comment(AnonymousUserMixin()).message == "Please log in to do this."
    blocked = factory.user()
    blocked.blocked_until = utcnow() + timedelta(days=1)
    assert "blocked" in permissions.can_comment(blocked).message
    unconfirmed = factory.user(confirmed=False)
    assert "confirm your email" in permissions.can_comment(unconfirmed).message
    store_setting(services.REQUIRE_CONFIRMED_EMAIL, False)
    assert permissions.can_comment(unconfirmed) is True
    assert not permissions.can_comment(blocked)  # the setting waives the address, never a block
    store_setting(services.MIN_ACCOUNT_AGE_DAYS, 2)
    assert "2 days" in permissions.can_comment(factory.user()).message


def test_the_author_edits_within_the_window_then_is_told_to_delete(app, factory, make_debate, say):
    me, other = factory.user(), factory.user()
    c = say(me, make_debate(), "Mon argument", "for")
    assert permissions.can_edit_comment(me, c) is True
    assert permissions.can_edit_comment(other, c) is False and not permissions.can_delete_comment(other, c)
    late = permissions.can_edit_comment(me, c, now=permissions.edit_deadline(c))
    assert not late and "You can still delete it" in late.message
    assert permissions.can_delete_comment(me, c)


def test_officials_of_the_district_close_debates_and_comments(app, factory, make_debate):
    here, there = factory.district(), factory.district()
    local, elsewhere = factory.user(roles=[("official", here)]), factory.user(roles=[("official", there)])
    debate = make_debate(district_id=here.id)
    assert permissions.can_close_debate(local, debate) and not permissions.can_close_debate(elsewhere, debate)
    assert permissions.can_close_comments(local, here.id) and not permissions.can_close_comments(local, None)
    assert permissions.can_open_debate(elsewhere) and not permissions.can_open_debate_in(elsewhere, here.id)
    assert not permissions.can_open_debate(factory.user())


def test_badges_follow_the_standing_anywhere(app, factory):
    admin = factory.user(roles=["admin"])
    moderator = factory.user(roles=[("moderator", factory.district())])
    assert permissions.can_badge_comment(admin, Badge.OFFICIAL)
    assert services.badge_for(admin) == Badge.OFFICIAL
    assert services.badge_for(moderator) == Badge.MODERATOR
    assert services.badge_for(factory.user()) is None
