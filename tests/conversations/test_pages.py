"""Conversations through the pages, JavaScript off: start, vote one statement
at a time, add statements, see the groups, export, privacy."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from civic.conversations import jobs, services
from civic.conversations.groups import compute
from civic.conversations.models import Conversation, ConversationResult, GroupMembership, Statement, StatementVote
from civic.conversations.polis import read_votes
from civic.extensions import db
from tests.conversations import factories as cf
from tests.deliberation import factories as deliberation_factories
from tests.helpers import count_rows, reload

CONSENSUS = "Les secours doivent toujours pouvoir passer."
TEXTS = [CONSENSUS, "Fermer la rue aux voitures le week-end.", "Garder le stationnement devant les boutiques.",
         "Planter des arbres.", "Élargir les trottoirs.", "Ajouter un parking.", "Mettre des bancs.",
         "Limiter les terrasses."]
# Two camps: both agree on the first statement, disagree on the rest.
LEAN = [[1, 1, -1, 1, 1, -1, 1, 0], [1, -1, 1, -1, -1, 1, 0, 1]]


def html(resp):
    return resp.get_data(as_text=True)


def test_an_official_starts_a_conversation_from_the_debate_page(client, login, factory):
    official = factory.user(roles=["official"])
    debate = deliberation_factories.debate(official)
    resident = factory.user()
    login(resident)
    assert "Start a conversation" not in html(client.get(f"/debates/{debate.id}"))
    assert client.get(f"/conversations/new/debate/{debate.id}").status_code == 403
    client.post("/account/logout")
    login(official)
    page = html(client.get(f"/debates/{debate.id}"))
    assert "Start a conversation" in page
    resp = client.post(f"/conversations/new/debate/{debate.id}", data={"question": "", "seeds": "Une idée."})
    assert resp.status_code == 422
    assert "Write the question put to participants." in html(resp) and "Une idée." in html(resp)
    resp = client.post(f"/conversations/new/debate/{debate.id}", data={
        "question": "Que faire de la rue ?", "seeds": "Planter des arbres.\n\nÉlargir les trottoirs.\n"})
    assert resp.status_code == 302
    c = db.session.scalar(sa.select(Conversation))
    assert [s.text for s in cf.statements(c)] == ["Planter des arbres.", "Élargir les trottoirs."]
    assert all(s.seeded for s in cf.statements(c))
    assert "Take part in the conversation" in html(client.get(f"/debates/{debate.id}"))
    # A second start goes to the existing conversation.
    assert client.get(f"/conversations/new/debate/{debate.id}").headers["Location"].endswith(f"/conversations/{c.id}")


def test_a_resident_votes_one_statement_at_a_time_and_changes_a_vote(client, login, factory):
    c = cf.conversation()
    first, second, third = cf.statements(c)
    me = factory.user()
    assert client.get(f"/conversations/{c.id}/vote").status_code == 302  # log in first
    login(me)
    page = html(client.get(f"/conversations/{c.id}/vote"))
    assert "0 of 3" in page and first.text in page
    assert '<button type="submit" name="value" value="agree"' in page
    resp = client.post(f"/conversations/{c.id}/vote", data={"statement_id": first.id, "value": "agree"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/conversations/{c.id}/vote")
    page = html(client.get(f"/conversations/{c.id}/vote"))
    assert "1 of 3" in page and second.text in page
    client.post(f"/conversations/{c.id}/vote", data={"statement_id": second.id, "value": "disagree"})
    client.post(f"/conversations/{c.id}/vote", data={"statement_id": third.id, "value": "pass"})
    page = html(client.get(f"/conversations/{c.id}/vote"))
    assert "3 of 3" in page and "You have voted on every statement" in page
    # Changing a vote: the statement's own page shows the current vote pressed.
    page = html(client.get(f"/conversations/{c.id}/vote?statement={second.id}"))
    assert 'value="disagree" aria-pressed="true"' in page
    client.post(f"/conversations/{c.id}/vote", data={"statement_id": second.id, "value": "agree"})
    votes = {v.statement_id: v.value for v in db.session.scalars(sa.select(StatementVote))}
    assert votes == {first.id: 1, second.id: 1, third.id: 0}
    assert reload(c).changes == 4  # three votes and one change
    overview = html(client.get(f"/conversations/{c.id}"))
    assert "You have voted on 3 of 3 statements." in overview and "My votes" in overview


def test_a_bad_vote_is_refused_with_a_message_and_nothing_is_recorded(client, login, factory):
    c = cf.conversation()
    first = cf.statements(c)[0]
    login(factory.user())
    resp = client.post(f"/conversations/{c.id}/vote", data={"statement_id": first.id, "value": "maybe"})
    assert resp.status_code == 422 and "Choose agree, disagree or pass." in html(resp)
    other = cf.conversation()
    resp = client.post(f"/conversations/{c.id}/vote", data={"statement_id": cf.statements(other)[0].id,
                                                            "value": "agree"})
    assert resp.status_code == 422
    assert client.get(f"/conversations/{c.id}/vote?statement=999999").status_code == 404
    assert client.get(f"/conversations/{c.id}/vote?statement=abc").status_code == 404
    resp = client.post(f"/conversations/{c.id}/vote", data={"statement_id": "abc", "value": "agree"})
    assert resp.status_code == 422
    assert count_rows(StatementVote) == 0


def test_a_closed_conversation_takes_no_vote_and_keeps_its_results(client, login, factory):
    c = cf.conversation()
    official = c.created_by
    services.set_conversation_open(official, c, False)
    db.session.commit()
    login(factory.user())
    page = html(client.get(f"/conversations/{c.id}/vote"))
    assert "This conversation is closed" in page and 'name="value"' not in page
    resp = client.post(f"/conversations/{c.id}/vote", data={"statement_id": cf.statements(c)[0].id, "value": "agree"})
    assert resp.status_code == 403
    assert count_rows(StatementVote) == 0


def test_a_statement_is_added_checked_and_kept_on_error(client, login, factory):
    c = cf.conversation()
    login(factory.user())
    long_text = "Trop long. " * 30
    resp = client.post(f"/conversations/{c.id}/statements", data={"statement-text": long_text})
    assert resp.status_code == 422
    page = html(resp)
    assert "Keep the statement under 280 characters" in page and "Trop long." in page
    resp = client.post(f"/conversations/{c.id}/statements", data={"statement-text": "première IDÉE."})
    assert resp.status_code == 422 and "already in the conversation" in html(resp)
    resp = client.post(f"/conversations/{c.id}/statements", data={"statement-text": "Des fontaines à boire."})
    assert resp.status_code == 302
    added = db.session.scalar(sa.select(Statement).where(Statement.text == "Des fontaines à boire."))
    assert added is not None and not added.seeded
    # Another resident meets it after the opening statements.
    client.post("/account/logout")
    other = factory.user()
    login(other)
    for s in cf.statements(c)[:3]:
        client.post(f"/conversations/{c.id}/vote", data={"statement_id": s.id, "value": "agree"})
    assert "Des fontaines à boire." in html(client.get(f"/conversations/{c.id}/vote"))


def test_the_groups_appear_with_consensus_first_and_the_map_matches_its_table(client, login, factory, app):
    c = cf.conversation(seeds=())
    people = cf.camps(c, TEXTS, sizes=(14, 10), lean=LEAN)
    page = html(client.get(f"/conversations/{c.id}"))
    assert "The groups appear once enough people have voted" in page
    assert jobs.refresh_stale() == 1
    assert jobs.refresh_stale() == 0  # nothing new: not recomputed
    stored = db.session.get(ConversationResult, c.id)
    assert stored.payload["n_groups"] == 2 and sorted(stored.payload["group_sizes"]) == [10, 14]
    login(people[1][0])
    page = html(client.get(f"/conversations/{c.id}"))
    assert "Group A" in page and "Group B" in page
    consensus_section = page.split("What unites the groups")[1].split("The opinion map")[0]
    first_row = consensus_section.split('<th scope="row">')[1]
    assert first_row.startswith(CONSENSUS)
    assert "You are in group B." in page  # the smaller camp is group B
    # The map draws every clustered participant once; its table gives the same sizes.
    dots = sum(p["count"] for p in stored.payload["points"])
    assert dots == 24
    assert '<td>14</td>' in page and '<td>10</td>' in page
    # Nobody else sees who is in which group.
    client.post("/account/logout")
    assert "You are in group" not in html(client.get(f"/conversations/{c.id}"))


def test_the_open_data_export_recomputes_the_same_groups(client, factory):
    c = cf.conversation(seeds=())
    people = cf.camps(c, TEXTS, sizes=(14, 10), lean=LEAN)
    jobs.compute_groups(c.id)
    resp = client.get(f"/conversations/{c.id}/votes.csv")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    for u in people[0] + people[1]:
        assert u.email not in text and u.display_name not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 24 * len(TEXTS)
    assert {r["voter-id"] for r in rows} == {str(n) for n in range(24)}
    votes = read_votes(io.StringIO(text))
    result = compute(votes.participants, votes.statements, votes.values, len(votes.voter_ids), len(votes.comment_ids))
    stored = db.session.get(ConversationResult, c.id).payload
    assert sorted((result.labels == g).sum() for g in range(result.n_groups)) == sorted(stored["group_sizes"])
    assert [int(votes.comment_ids[s]) for s in result.consensus_order()] == stored["consensus"]
    statements = client.get(f"/conversations/{c.id}/statements.csv").get_data(as_text=True)
    assert CONSENSUS in statements


def test_hiding_a_statement_takes_it_out_of_the_vote(client, login, factory):
    c = cf.conversation()
    first = cf.statements(c)[0]
    services.set_statement_hidden(first, True)
    db.session.commit()
    login(factory.user())
    page = html(client.get(f"/conversations/{c.id}/vote"))
    assert first.text not in page and "0 of 2" in page


def test_my_data_lists_votes_and_erasure_removes_them(factory):
    from civic.accounts import privacy

    c = cf.conversation(seeds=())
    people = cf.camps(c, TEXTS, sizes=(14, 10), lean=LEAN)
    jobs.compute_groups(c.id)
    me = people[0][0]
    data = services.export_personal_data(me)
    assert len(data["statement_votes"]) == len(TEXTS) and data["opinion_groups"][0]["group"] in (1, 2)
    before = reload(c).changes
    services.erase_personal_data(me)
    db.session.commit()
    assert count_rows(StatementVote, StatementVote.user_id == me.id) == 0
    assert count_rows(GroupMembership, GroupMembership.user_id == me.id) == 0
    assert reload(c).changes == before + 1
    jobs.compute_groups(c.id)
    assert sum(db.session.get(ConversationResult, c.id).payload["group_sizes"]) == 23
    assert privacy.exporters()["conversations"] is services.export_personal_data
    assert services.erase_personal_data in privacy.erasers()


def test_a_polis_export_is_imported_once(factory):
    c = cf.conversation(seeds=())
    admin = factory.user(roles=["admin"])
    comments = ("timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
                "1,d,0,5,0,0,1,Plus de pistes cyclables\n1,d,1,6,0,0,-1,Texte retiré\n1,d,2,7,0,0,0,Moins de bruit\n")
    votes = ("timestamp,datetime,comment-id,voter-id,vote\n"
             "1,d,0,10,1\n2,d,0,10,-1\n1,d,1,10,1\n1,d,2,11,1\n1,d,0,11,0\n")
    assert services.import_polis(admin, c, comments.encode(), votes.encode()) == (2, 3)
    db.session.commit()
    assert services.import_polis(admin, c, comments.encode(), votes.encode()) == (0, 0)
    db.session.commit()
    by_text = {s.text: s.id for s in cf.statements(c)}
    assert "Texte retiré" not in by_text
    last = db.session.scalar(sa.select(StatementVote.value).where(
        StatementVote.statement_id == by_text["Plus de pistes cyclables"], StatementVote.participant == "10"))
    assert last == -1  # the later vote replaced the earlier one


def test_the_consensus_starts_the_officials_conclusion_of_the_debate(client, login, factory):
    c = cf.conversation(seeds=())
    cf.camps(c, TEXTS, sizes=(14, 10), lean=LEAN)
    login(c.created_by)
    page = html(client.get(f"/debates/{c.host_id}/close"))
    assert "What the conversation showed" not in page  # no groups computed yet
    jobs.compute_groups(c.id)
    page = html(client.get(f"/debates/{c.host_id}/close"))
    draft = page.split('name="conclusion"')[1].split("</textarea>")[0]
    assert "What the conversation showed" in draft and "24 participants" in draft
    assert draft.index("What unites the groups") < draft.index(CONSENSUS) < draft.index("Where the groups differ most")


def test_most_constructive_bridges_the_opinion_groups_of_the_debates_conversation(client, factory):
    from tests.deliberation import factories as df

    c = cf.conversation(seeds=())
    people = cf.camps(c, TEXTS, sizes=(14, 10), lean=LEAN)
    debate_id = c.host_id
    from civic.deliberation.models import Debate

    debate = db.session.get(Debate, debate_id)
    author = factory.user()
    one_sided = df.comment(author, debate, "Fermons la rue, point.", "for")
    bridging = df.comment(author, debate, "Un essai d'abord, avec les commerçants.", "neutral")
    for u in people[0][:6]:
        df.reaction(u, one_sided)
    for u in people[0][:2] + people[1][:2]:
        df.reaction(u, bridging)

    def order():
        page = html(client.get(f"/debates/{debate_id}")).split('id="comments"')[1]  # the thread, not the summary
        return page.index("Fermons la rue") < page.index("Un essai d")

    # Without groups, nobody declared a side: the comment with more "useful" leads.
    assert order() is True
    jobs.compute_groups(c.id)
    # With the conversation's groups, the comment both groups found useful leads.
    assert order() is False


def test_pre_moderated_statements_wait_for_a_moderator(client, login, factory):
    from civic.core.settings import store_setting

    store_setting("moderation.premoderated_kinds", "statement")
    db.session.commit()
    c = cf.conversation()
    author = factory.user()
    login(author)
    resp = client.post(f"/conversations/{c.id}/statements", data={"statement-text": "Des toilettes publiques."})
    assert resp.status_code == 302
    page = html(client.get(resp.headers["Location"]))
    assert "once a moderator has read it" in page
    held = db.session.scalar(sa.select(Statement).where(Statement.text == "Des toilettes publiques."))
    assert held.hidden_at is not None
    client.post("/account/logout")
    login(factory.user())
    for s in cf.statements(c)[:3]:
        client.post(f"/conversations/{c.id}/vote", data={"statement_id": s.id, "value": "pass"})
    assert "Des toilettes publiques." not in html(client.get(f"/conversations/{c.id}/vote"))
