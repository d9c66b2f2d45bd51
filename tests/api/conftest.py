"""Fixtures of the API tests: ``world``, realistic public data in every
domain (built with the domains' factories, through their services where a
state needs them), so that every documented route answers with real items."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from civic.extensions import db
from tests import factories
from tests.assemblies import factories as af
from tests.budgets import factories as bf
from tests.consultations import factories as cf
from tests.deliberation import factories as df
from tests.moderation import factories as mf
from tests.petitions import factories as pf
from tests.processes import factories as prf


def build_world(app, run_jobs) -> SimpleNamespace:
    """The data; ``run_jobs`` drains the queue where a job computes results (under Redis)."""
    from civic.budgets import services as budgets
    from civic.petitions import services as petitions
    from civic.processes.models import ProposalState

    north = factories.district(code="N", name="Nord", postcodes=["31000"])
    south = factories.district(code="S", name="Sud", postcodes=["31500"])
    admin = factories.user(roles=["admin"])
    official = factories.user(roles=["official"])
    moderator = factories.user(roles=["moderator"])
    resident = factories.user(verified_in=north)

    # Petitions: open (with counts by district, a response and a debate), closed, rejected, removed.
    open_p = pf.petition("open", creator=resident, district=north, response_threshold=2, debate_threshold=3,
                         )
    pf.signatures(open_p, 3, district=north)
    pf.signatures(open_p, 1, district=south, prefix="t")
    from civic.petitions.tally import tally_signatures

    tally_signatures()
    with app.test_request_context():
        petitions.publish_response(official, open_p, summary="La Ville dit oui.", body="Le **texte**.",
                                   decision="accepted")
        petitions.publish_debate(official, open_p, debate_date=date.today(), summary="Débat tenu.",
                                 url="https://example.org/debat")
        db.session.commit()
    closed_p = pf.petition("closed", district=south)
    rejected_p = pf.petition("rejected", reason_code="duplicate", reason_text="Déjà demandé.")
    removed_p = pf.petition("removed", reason_code="duplicate")

    # Processes and proposals in every answered state, with an amendment and supports.
    process = prf.process(admin, district=north)
    proposals = [prf.proposal(process, state=state, official=official)
                 for state in (ProposalState.PUBLISHED, ProposalState.EVALUATING, ProposalState.ACCEPTED,
                               ProposalState.REJECTED, ProposalState.IMPLEMENTED, ProposalState.WITHDRAWN)]
    prf.amendment(proposals[0])
    prf.support(proposals[0])

    # A budget edition with published results (pabulib), another still voting.
    voting = bf.edition(official, phase="voting", admin=admin, title="Budget 2028")
    bf.project(voting, voting.envelopes[0], "Bancs")
    edition = bf.edition(official, phase="voting", admin=admin)
    env = edition.envelopes[0]
    projects = [bf.project(edition, env, "Bancs", 30_000), bf.project(edition, env, "Arbres", 50_000),
                bf.project(edition, env, "Fontaine", 40_000)]
    for i in range(3):
        bf.ballot(factories.user(verified_in=north), env, projects[: 1 + i % 2])
    bf.enter_phase(admin, edition, "results")
    run_jobs()
    db.session.expire_all()
    with app.test_request_context():
        budgets.publish_results(official, budgets.get_edition(edition.id))
        db.session.commit()

    # Consultations: open, closed with results, upcoming.
    open_c = cf.consultation(official, state="open")
    cf.answer(open_c)
    closed_c = cf.consultation(official, state="open", title="Les parcs")
    cf.answer_many(closed_c, north, 3)
    cf.answer_many(closed_c, None, 2, text="Plus de bancs")
    cf.close(closed_c, official)
    run_jobs()
    cf.consultation(official, state="upcoming", title="Plus tard")

    # Debates and comment threads (on a debate and on a petition), reactions, a hidden and a deleted comment.
    debate = df.debate(official, sources=[("Étude", "https://example.org/etude")])
    top, replies = df.thread(debate, resident, [official, moderator], alignment="for")
    df.comment(factories.user(), debate, "Contre.", "against")
    df.reaction(official, top)
    on_petition = df.comment(resident, open_p, "Je signe.", "for")

    # Moderation: a report decided (hidden), appealed.
    from civic.moderation import services as moderation

    mf.report(replies[0], factories.user(), kind="comment")
    decision = moderation.decide_case(moderator, mf.case(replies[0], "comment").id, "hide", "spam", mf.STATEMENT)
    db.session.commit()
    mf.appeal(official, decision)

    # A citizens' assembly with a working group and recommendations: one answered and followed up, one owed.
    from civic.assemblies import services as assemblies

    assembly = af.assembly(admin, district=north, members=3)
    group = assemblies.add_group(admin, assembly, "Tarifs", "Un prix juste.",
                                 [m.id for m in assemblies.members_of(assembly)[:2]])
    db.session.commit()
    recommendations = [af.recommendation(assembly, admin, group=group, days_ago=120),
                       af.recommendation(assembly, admin, title="Récupérer l'eau de pluie")]
    af.answer(recommendations[0], official, days_after=30)
    assemblies.add_implementation_update(official, recommendations[0], "in_progress", 40, "Travaux lancés.")
    db.session.commit()
    # A second assembly whose members were drawn: quotas, eight named volunteers, the published report.
    from civic.assemblies import draw_services

    drawn = af.assembly(admin, state="selecting", size=4)
    selection = draw_services.open_selection(admin, drawn)
    draw_services.import_categories(admin, selection, "category,feature,min,max\nGenre,Femme,2,2\nGenre,Homme,2,2\n"
                                                     "Âge,18-39,1,3\nÂge,40+,1,3\n")
    pool = [("Femme", "18-39"), ("Femme", "40+"), ("Femme", "40+"), ("Homme", "18-39"), ("Homme", "18-39"),
            ("Homme", "40+"), ("Femme", "18-39"), ("Homme", "40+")]
    draw_services.import_respondents(admin, selection, "first_name,Genre,Âge,address\n" + "".join(
        f"Volontaire{i} Nommé,{g},{a},{i} rue des Filatiers\n" for i, (g, a) in enumerate(pool)))
    draw_services.commit(admin, selection)
    draw_services.run_draw(admin, selection)
    db.session.commit()

    # A conversation on the debate: statements, and votes of named residents (never to appear in open data).
    from civic.conversations import services as conversations

    conversation = conversations.start_conversation(official, "debate", debate.id, "Que faire de la rue ?",
                                                    "Planter des arbres.\nÉlargir les trottoirs.")
    db.session.commit()
    for voter in (resident, official, factories.user(name="Zoé Votante")):
        for st, value in zip(conversation.statements, (1, -1), strict=True):
            conversations.vote(voter, st, value)
    db.session.commit()
    return SimpleNamespace(north=north, south=south, admin=admin, official=official, moderator=moderator,
                           resident=resident, open_petition=open_p, closed_petition=closed_p,
                           rejected_petition=rejected_p, removed_petition=removed_p, process=process,
                           proposals=proposals, edition=edition, voting_edition=voting, open_consultation=open_c,
                           closed_consultation=closed_c, debate=debate, comment=top, petition_comment=on_petition,
                           decision=decision, assembly=assembly, recommendations=recommendations,
                           conversation=conversation)


@pytest.fixture
def world(app, run_jobs):
    return build_world(app, run_jobs)
