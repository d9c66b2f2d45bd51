"""A conversation, in French, JavaScript on and off, with the keyboard: an
official starts it on a debate, a resident votes one statement at a time and
adds one, then sees the opinion groups, the consensus and "you are here".
Every page passes axe-core, stays light and calls no other site."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out

pytestmark = pytest.mark.browser

SEEDS = ["Les secours doivent toujours pouvoir passer.", "Fermer la rue aux voitures le week-end.",
         "Garder le stationnement devant les boutiques."]


def _debate(live, official_email, title) -> int:
    def build():
        from civic.accounts.services import find_user_by_email
        from tests.deliberation import factories

        return factories.debate(find_user_by_email(official_email), title, "La mairie envisage un essai.").id
    return live.query(build)


def _others_vote_and_groups_are_computed(live, conversation_id):
    """Twenty-four residents in two camps vote; the job computes the groups."""
    def build():
        import sqlalchemy as sa

        from civic.conversations import jobs
        from civic.conversations.models import Conversation, Statement, StatementVote
        from civic.extensions import db
        from tests import factories

        c = db.session.get(Conversation, conversation_id)
        extra = ["Planter des arbres.", "Élargir les trottoirs.", "Ajouter un parking.", "Mettre des bancs.",
                 "Limiter les terrasses."]
        for text in extra:
            db.session.add(Statement(conversation_id=c.id, author_id=c.created_by_id, text=text, seeded=True))
        db.session.commit()
        statements = db.session.scalars(sa.select(Statement).where(Statement.conversation_id == c.id)
                                        .order_by(Statement.id)).all()
        lean = {0: [1, 1, -1, 1, 1, -1, 1, 0], 1: [1, -1, 1, -1, -1, 1, 0, 1]}
        n = 0
        for camp, size in ((0, 14), (1, 10)):
            for i in range(size):
                u = factories.user()
                votes = list(lean[camp]) + [0] * (len(statements) - 8)
                votes[1 + i % 7] = 0
                for st, value in zip(statements, votes, strict=False):
                    db.session.add(StatementVote(statement_id=st.id, conversation_id=c.id, user_id=u.id, value=value))
                    n += 1
        c.changes += n
        db.session.commit()
        jobs.compute_groups(c.id)
    live.query(build)


def test_a_conversation_finds_the_groups_and_what_unites_them(site, make_user):
    page, live = site.page, site.live
    official = make_user(name="Jean Élu", roles=("official",), locale="fr")
    me = make_user(name="Léa M.", locale="fr")
    title = f"Que faire de la rue des Lois ? ({'JS' if site.js else 'HTML'})"
    debate_id = _debate(live, official, title)

    # The official starts the conversation from the debate page.
    log_in(site, official)
    site.visit(f"/debates/{debate_id}")
    site.enter(page.get_by_role("link", name="Lancer une conversation"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lancer une conversation")
    site.tab_to(page.get_by_label("Question posée aux participants"))
    page.keyboard.type("Comment partager la rue des Lois ?")
    site.tab_to(page.locator("#seeds"))
    page.keyboard.type(SEEDS[0])
    for seed in SEEDS[1:]:
        page.keyboard.press("Enter")
        page.keyboard.type(seed)
    site.enter(page.get_by_role("button", name="Ouvrir la conversation"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment partager la rue des Lois ?")
    expect(page.get_by_role("status")).to_contain_text("La conversation est ouverte")
    conversation_id = int(page.url.rstrip("/").split("/")[-1])
    log_out(site)

    # A resident takes part, one statement at a time.
    log_in(site, me)
    site.visit(f"/debates/{debate_id}")
    site.enter(page.get_by_role("link", name="Participer à la conversation"))
    site.enter(page.get_by_role("link", name="Voter sur les propositions"))
    expect(page.locator("#progress")).to_contain_text("0 sur 3")
    expect(page.get_by_role("main")).to_contain_text(SEEDS[0])
    site.enter(page.get_by_role("button", name="D’accord", exact=True))
    expect(page.locator("#progress")).to_contain_text("1 sur 3")
    expect(page.get_by_role("main")).to_contain_text(SEEDS[1])
    site.enter(page.get_by_role("button", name="Pas d’accord", exact=True))
    site.enter(page.get_by_role("button", name="Passer / je ne sais pas"))
    expect(page.get_by_role("main")).to_contain_text("Vous avez voté sur toutes les propositions")

    # Add a statement (kept and refused when too long, then accepted).
    site.enter(page.get_by_role("link", name="Il manque quelque chose ? Ajoutez votre proposition"))
    field = page.get_by_label("Votre proposition")
    field.fill("Trop long. " * 30)
    site.enter(page.get_by_role("button", name="Ajouter ma proposition"), expect_status=422)
    expect(page.get_by_role("main")).to_contain_text("La proposition doit faire moins de 280 caractères")
    page.get_by_label("Votre proposition").fill("Des fontaines à boire.")
    site.enter(page.get_by_role("button", name="Ajouter ma proposition"))
    expect(page.get_by_role("status")).to_contain_text("votre proposition est ajoutée")

    # Others vote; the groups appear, consensus first, with my place on the map.
    _others_vote_and_groups_are_computed(live, conversation_id)
    site.visit(f"/conversations/{conversation_id}")
    expect(page.get_by_role("heading", name="Groupes d’opinion", exact=False).or_(
        page.get_by_role("heading", name="Groupes d'opinion"))).to_be_visible()
    consensus = page.get_by_role("table", name="Les propositions qui rassemblent le plus, la meilleure d'abord")
    expect(consensus.get_by_role("rowheader").first).to_have_text(SEEDS[0])
    expect(page.get_by_role("img", name="Carte des opinions")).to_be_visible()
    groups = page.get_by_role("table", name="Les groupes sur la carte")
    expect(groups.get_by_role("row")).to_have_count(3)  # header + groups A and B
    site.enter(page.get_by_role("link", name="Comment les groupes sont-ils calculés ?").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment les groupes d'opinion sont-ils calculés ?")
