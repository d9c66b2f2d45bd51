"""Deliberation services: debates, comments, reactions, and their rules."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, RateLimited, ValidationError
from civic.core.models import AuditEntry
from civic.core.settings import store_setting
from civic.core.time import utcnow
from civic.deliberation import services
from civic.deliberation.models import Comment, CommentSettings, Debate, DebateState, Reaction, ReactionValue
from civic.extensions import db
from tests.helpers import count_rows


def audit_actions(kind=None, object_id=None):
    stmt = sa.select(AuditEntry.action)
    if kind:
        stmt = stmt.where(AuditEntry.kind == kind, AuditEntry.object_id == object_id)
    return db.session.scalars(stmt.order_by(AuditEntry.id)).all()


# --- debates -----------------------------------------------------------------------------------

def test_official_opens_a_debate_with_sanitized_framing_and_sources(official, factory):
    district = factory.district()
    d = services.open_debate(official, "  Quelle place pour la voiture ?  ", "**Gras** <script>alert(1)</script>",
                             district.id, None, "Étude trafic | https://example.org/etude.pdf\n\nPlan | http://example.org/plan")
    db.session.commit()
    assert d.title == "Quelle place pour la voiture ?"
    assert "<strong>Gras</strong>" in d.body_html and "<script" not in d.body_html
    assert [(s.title, s.url) for s in d.sources] == [("Étude trafic", "https://example.org/etude.pdf"),
                                                     ("Plan", "http://example.org/plan")]
    assert d.state == DebateState.OPEN
    assert "debate.opened" in audit_actions("debate", d.id)


def test_a_malformed_source_line_is_refused_with_its_line_number(official):
    with pytest.raises(ValidationError) as err:
        services.open_debate(official, "Titre", "Cadre", sources="Bon | https://example.org\nsans lien")
    assert "Line 2" in err.value.fields["sources"]


def test_residents_open_debates_only_when_an_administrator_allows_it(factory):
    resident = factory.user()
    with pytest.raises(PermissionDenied):
        services.open_debate(resident, "Titre", "Cadre")
    store_setting(services.RESIDENTS_MAY_OPEN, True)
    d = services.open_debate(resident, "Titre", "Cadre")
    assert d.author_id == resident.id


def test_closing_needs_a_conclusion_is_audited_and_happens_once(official, make_debate):
    d = make_debate()
    with pytest.raises(ValidationError) as err:
        services.close_debate(official, d, "   ")
    assert "conclusion" in err.value.fields
    services.close_debate(official, d, "Ce que nous avons entendu : **beaucoup**.")
    db.session.commit()
    assert d.state == DebateState.CLOSED and d.closed_by_id == official.id
    assert "<strong>beaucoup</strong>" in d.conclusion_html
    assert "debate.closed" in audit_actions("debate", d.id)
    with pytest.raises(InvalidTransition):
        services.close_debate(official, d, "Encore")


def test_an_official_of_another_district_cannot_close_a_district_debate(factory, make_debate):
    here, there = factory.district(), factory.district()
    d = make_debate(district_id=here.id)
    other = factory.user(roles=[("official", there)])
    with pytest.raises(PermissionDenied):
        services.close_debate(other, d, "Conclusion")


def test_a_closed_debate_needs_its_conclusion_in_the_database(official, make_debate):
    d = make_debate()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Debate).where(Debate.id == d.id).values(state=DebateState.CLOSED))
        db.session.flush()
    db.session.rollback()


# --- comments ----------------------------------------------------------------------------------

def test_top_level_debate_comments_need_a_side_and_a_text_under_2000_characters(factory, make_debate):
    d = make_debate()
    me = factory.user()
    with pytest.raises(ValidationError) as err:
        services.post_comment(me, "debate", d.id, "x" * 2001, None)
    assert set(err.value.fields) == {"body", "alignment"}
    assert "2,000" in err.value.fields["body"] and "2,001" in err.value.fields["body"]
    c = services.post_comment(me, "debate", d.id, "Mon *argument* <img src=x onerror=alert(1)>", "against")
    assert c.alignment.value == "against" and "<em>argument</em>" in c.body_html and "<img" not in c.body_html


def test_replies_go_three_levels_deep_and_notify_nobody_for_own_replies(factory, make_debate, say):
    d = make_debate()
    a, b = factory.user(), factory.user()
    top = say(a, d, "Niveau 1", "for")
    r1 = say(b, d, "Niveau 2", parent=top)
    r2 = say(a, d, "Niveau 3", parent=r1)
    assert (top.depth, r1.depth, r2.depth) == (0, 1, 2)
    assert r2.root_id == top.id and r1.root_id == top.id
    with pytest.raises(ValidationError):
        services.post_comment(b, "debate", d.id, "Niveau 4", None, r2.id)
    own = say(a, d, "Je me réponds", parent=top)
    from civic.deliberation.models import ReplyNotification

    recipients = db.session.scalars(sa.select(ReplyNotification.recipient_id)
                                    .order_by(ReplyNotification.id)).all()
    assert recipients == [a.id, b.id]  # r1 told a, r2 told b; a's reply to self told nobody
    assert own.parent_id == top.id


def test_the_database_refuses_a_fourth_level(factory, make_debate, say):
    d = make_debate()
    top = say(factory.user(), d, "Un", "for")
    db.session.add(Comment(kind="debate", object_id=d.id, parent_id=top.id, root_id=top.id, depth=3,
                           author_id=top.author_id, body_source="x", body_html="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_comments_on_a_kind_without_sides_carry_no_alignment(factory, thing, say):
    c = say(factory.user(), thing, "Bonne idée", alignment="for", kind="thing")
    assert c.alignment is None and c.kind == "thing"


def test_kinds_without_the_comments_hook_refuse_comments(factory, make_debate):
    with pytest.raises(NotFound):
        services.post_comment(factory.user(), "comment", 1, "x")


def test_unconfirmed_email_and_young_accounts_cannot_comment_when_configured(factory, make_debate):
    d = make_debate()
    unconfirmed = factory.user(confirmed=False)
    with pytest.raises(PermissionDenied) as err:
        services.post_comment(unconfirmed, "debate", d.id, "x", "for")
    assert "confirm your email" in err.value.message
    store_setting(services.REQUIRE_CONFIRMED_EMAIL, False)
    db.session.commit()
    services.post_comment(unconfirmed, "debate", d.id, "Maintenant oui", "for")
    store_setting(services.MIN_ACCOUNT_AGE_DAYS, 3)
    db.session.commit()
    newcomer = factory.user()
    with pytest.raises(PermissionDenied) as err:
        services.post_comment(newcomer, "debate", d.id, "x", "for")
    assert "3 days" in err.value.message
    newcomer.created_at = utcnow() - timedelta(days=4)
    db.session.commit()
    services.post_comment(newcomer, "debate", d.id, "Après trois jours", "for")


def test_blocked_people_cannot_comment(factory, make_debate):
    d = make_debate()
    blocked = factory.user()
    blocked.blocked_until = utcnow() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.post_comment(blocked, "debate", d.id, "x", "for")


def test_the_rate_limit_stops_the_next_comment_with_a_clear_message(factory, make_debate, say):
    store_setting(services.RATE_LIMIT_PER_HOUR, 2)
    db.session.commit()
    d = make_debate()
    me = factory.user()
    say(me, d, "Un", "for")
    say(me, d, "Deux", "for")
    with pytest.raises(RateLimited) as err:
        services.post_comment(me, "debate", d.id, "Trois", "for")
    assert "You have posted 2 comments in the last hour" in err.value.message
    assert "You can post again in" in err.value.message
    # Someone else is not affected.
    say(factory.user(), d, "Moi aussi", "for")


def test_closed_items_refuse_comments_and_reactions(factory, official, make_debate, say, thing, thing_kind):
    d = make_debate()
    other = factory.user()
    c = say(factory.user(), d, "Avant", "for")
    services.close_comments(official, "debate", d.id, "Le conseil a tranché.")
    db.session.commit()
    assert db.session.get(CommentSettings, ("debate", d.id)).reason == "Le conseil a tranché."
    with pytest.raises(PermissionDenied):
        services.post_comment(other, "debate", d.id, "Après", "for")
    with pytest.raises(PermissionDenied):
        services.react(other, c, "useful")
    assert "comments.closed" in audit_actions("debate", d.id)
    services.reopen_comments(official, "debate", d.id)
    db.session.commit()
    say(other, d, "Rouvert", "for")
    # The kind's own hook closes too (a closed petition).
    thing_kind.state.open = False
    with pytest.raises(PermissionDenied):
        services.post_comment(other, "thing", thing.id, "Fermé")


def test_residents_cannot_close_comments(factory, make_debate):
    d = make_debate()
    with pytest.raises(PermissionDenied):
        services.close_comments(factory.user(), "debate", d.id)


def test_a_closed_debate_refuses_new_comments(official, factory, make_debate):
    d = make_debate()
    services.close_debate(official, d, "Conclusion")
    with pytest.raises(PermissionDenied):
        services.post_comment(factory.user(), "debate", d.id, "Trop tard", "for")


def test_the_author_edits_within_the_window_only(factory, make_debate, say):
    d = make_debate()
    me, other = factory.user(), factory.user()
    c = say(me, d, "Premier jet", "for")
    with pytest.raises(PermissionDenied):
        services.edit_comment(other, c, "Pas à toi", "for")
    services.edit_comment(me, c, "Version corrigée", "against")
    db.session.commit()
    assert c.body_source == "Version corrigée" and c.alignment.value == "against" and c.edited_at
    c.created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    with pytest.raises(PermissionDenied) as err:
        services.edit_comment(me, c, "Trop tard", "for")
    assert "over" in err.value.message


def test_author_deletion_removes_the_text_and_keeps_the_place(factory, make_debate, say):
    d = make_debate()
    me = factory.user()
    top = say(me, d, "Texte à effacer", "for")
    reply = say(factory.user(), d, "Réponse", parent=top)
    with pytest.raises(PermissionDenied):
        services.delete_comment(reply.author, top)
    services.delete_comment(me, top)
    db.session.commit()
    row = db.session.get(Comment, top.id)
    assert row.deleted_at is not None and row.body_source == "" and row.body_html == ""
    assert db.session.get(Comment, reply.id).parent_id == top.id
    assert "comment.deleted" in audit_actions("comment", top.id)


def test_one_reaction_per_person_and_comment_replaced_by_a_new_choice(factory, make_debate, say, rate):
    d = make_debate()
    c = say(factory.user(), d, "Argument", "for")
    me = factory.user()
    rate(me, c, "useful")
    rate(me, c, "not_useful")
    rows = db.session.scalars(sa.select(Reaction).where(Reaction.comment_id == c.id)).all()
    assert [(r.user_id, r.value) for r in rows] == [(me.id, ReactionValue.NOT_USEFUL)]
    rate(me, c, "none")
    assert count_rows(Reaction) == 0


def test_the_database_refuses_a_second_reaction_from_the_same_person(factory, make_debate, say):
    d = make_debate()
    c = say(factory.user(), d, "Argument", "for")
    me = factory.user()
    db.session.add(Reaction(comment_id=c.id, user_id=me.id, value=ReactionValue.USEFUL))
    db.session.flush()
    db.session.add(Reaction(comment_id=c.id, user_id=me.id, value=ReactionValue.NOT_USEFUL))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_nobody_rates_their_own_comment(factory, make_debate, say):
    d = make_debate()
    me = factory.user()
    c = say(me, d, "Moi", "for")
    with pytest.raises(PermissionDenied):
        services.react(me, c, "useful")


def test_official_and_moderator_comments_carry_a_badge_and_officials_mark_their_answer(
        factory, official, make_debate, say):
    d = make_debate()
    moderator = factory.user(roles=["moderator"])
    resident = factory.user()
    q = say(resident, d, "Question ?", "neutral")
    answer = say(official, d, "Réponse de la mairie.", parent=q)
    note = say(moderator, d, "Rappel des règles.", "neutral")
    assert answer.badge.value == "official" and note.badge.value == "moderator" and q.badge is None
    with pytest.raises(PermissionDenied):
        services.mark_official_answer(resident, q)
    with pytest.raises(PermissionDenied):
        services.mark_official_answer(official, q)  # not their comment
    services.mark_official_answer(official, answer)
    db.session.commit()
    assert answer.is_official_answer
    assert "comment.official_answer" in audit_actions("comment", answer.id)


def test_hidden_debates_disappear_from_lists_for_the_public(make_debate, factory):
    from civic.core import content
    from civic.deliberation import queries

    d = make_debate()
    content.hook("debate", "set_hidden")(d, True)
    db.session.commit()
    assert queries.list_debates()[0] == []
    with pytest.raises(NotFound):
        content.load("debate", d.id, None)
    moderator = factory.user(roles=["moderator"])
    assert content.load("debate", d.id, moderator)[1] is d


def test_moderation_reaches_comments_through_the_registry(factory, make_debate, say):
    from civic.core import content
    from civic.deliberation import queries

    d = make_debate()
    author = factory.user()
    c = say(author, d, "Mon numéro est 06 12 34 56 78", "for")
    assert content.hook("comment", "text")(c) == "Mon numéro est 06 12 34 56 78"
    content.hook("comment", "redact")(c, "Mon numéro est [retiré]")
    assert "[retiré]" in c.body_html
    title, url = content.hook("comment", "context")(c)
    assert title == d.title and url.endswith(f"/debates/{d.id}")
    assert content.hook("comment", "authored_by")(author.id) == [c]
    content.hook("comment", "set_hidden")(c, True)
    db.session.commit()
    page = queries.thread_page("debate", d.id, sided=True)
    assert page.hidden_count == 1 and page.total == 0
    assert not content.get_kind("comment").can_view(None, c)


def test_my_data_lists_my_comments_and_reactions(factory, make_debate, say, rate):
    from civic.accounts.services import export_personal_data

    d = make_debate()
    me = factory.user()
    say(me, d, "Mon avis", "for")
    rate(me, say(factory.user(), d, "Autre", "against"), "useful")
    data = export_personal_data(me)["deliberation"]
    assert data["comments"][0]["text"] == "Mon avis"
    assert data["reactions"][0]["value"] == "useful"


def test_a_district_official_opens_debates_only_in_their_district(factory):
    here, there = factory.district(), factory.district()
    local = factory.user(roles=[("official", here)])
    assert services.open_debate(local, "Ici", "Cadre", here.id).district_id == here.id
    with pytest.raises(ValidationError) as err:
        services.open_debate(local, "Ailleurs", "Cadre", there.id)
    assert "district_id" in err.value.fields
    with pytest.raises(ValidationError):
        services.open_debate(local, "Toute la ville", "Cadre", None)


def test_a_debate_may_end_today_but_not_yesterday(official):
    from civic.core.time import end_of_day, today

    with pytest.raises(ValidationError) as err:
        services.open_debate(official, "Titre", "Cadre", ends_on=today() - timedelta(days=1))
    assert "ends_at" in err.value.fields
    d = services.open_debate(official, "Titre", "Cadre", ends_on=today())
    assert d.ends_at == end_of_day(today()) and d.ends_on == today() and d.accepts_contributions()


def test_closing_records_the_move_in_the_audit_entry(official, make_debate):
    d = make_debate()
    services.close_debate(official, d, "Conclusion")
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "debate.closed"))
    assert (entry.kind, entry.object_id, entry.actor_id) == ("debate", d.id, official.id)
    assert entry.data == {"from": "open", "to": "closed"}
    assert d.closed_at is not None and d.conclusion_html == "<p>Conclusion</p>"
