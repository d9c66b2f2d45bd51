"""Factories for assemblies, built through the services as admins and
officials make them. People and districts come from ``tests/factories.py``."""

from __future__ import annotations

from datetime import timedelta

from civic.assemblies import services
from civic.assemblies.models import Assembly, Recommendation
from civic.core.time import local_day, start_of_day, utcnow
from civic.extensions import db
from tests import factories

MANDATE = "Comment garantir une eau de qualité, à un prix juste, face aux sécheresses ?"
ANSWER = "La Ville retient la recommandation : la délibération est votée au prochain conseil."


def assembly(admin=None, *, state: str = "sitting", size: int = 30, district=None, members: int = 0,
             title: str = "Convention citoyenne sur l'eau", answer_delay_days: int = 90) -> Assembly:
    """An assembly brought to ``state`` through its FLOW, with ``members`` anonymous members seated."""
    admin = admin or factories.user(roles=["admin"])
    made = services.create_assembly(admin, services.AssemblyData(
        title=title, summary="Trente habitants tirés au sort.", mandate=MANDATE, size=size,
        district_id=getattr(district, "id", None), answer_delay_days=answer_delay_days))
    for i in range(members):
        services.add_member(admin, made, f"Membre{i}", "", False)
    for step in {"draft": [], "selecting": ["selecting"], "sitting": ["selecting", "sitting"],
                 "concluded": ["selecting", "sitting", "concluded"]}[state]:
        services.move_assembly(admin, made, step)
    db.session.commit()
    return made


def recommendation(of: Assembly, admin=None, *, days_ago: int = 10, title: str = "Des fontaines dans chaque quartier",
                   votes=(20, 5, 3), group=None) -> Recommendation:
    """A recommendation adopted ``days_ago`` days ago (the assembly must be sitting)."""
    admin = admin or factories.user(roles=["admin"])
    rec = services.adopt_recommendation(admin, of, services.RecommendationData(
        title=title, body="Au moins une fontaine d'eau potable par quartier.", votes_for=votes[0],
        votes_against=votes[1], votes_abstain=votes[2], adopted_on=local_day(utcnow() - timedelta(days=days_ago)),
        group_id=getattr(group, "id", None)))
    db.session.commit()
    return rec


def answer(rec: Recommendation, official=None, *, decision: str = "accepted", days_after: int | None = None):
    """The official answer; ``days_after`` its adoption (moved back in time), else now."""
    official = official or factories.user(roles=["official"])
    services.answer_recommendation(official, rec, decision, ANSWER)
    if days_after is not None:
        rec.answered_at = start_of_day(local_day(rec.adopted_at)) + timedelta(days=days_after, hours=12)
    db.session.commit()
    return rec
