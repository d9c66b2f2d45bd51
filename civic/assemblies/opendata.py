"""The assemblies' open datasets (issues 18 and 20): the recommendations of
public assemblies with their vote counts and official answers, and each
published selection's anonymised profiles with their selection probability
(the same figures as the public selection report; never a row per person)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from civic.assemblies.models import PUBLIC_STATES, Assembly, Recommendation, Selection, SelectionState
from civic.core.datasets import Dataset, Field, register_dataset
from civic.extensions import db

FIRST = (("2026-12-03", "First publication. / Première publication."),)


def recommendation_rows():
    stmt = (sa.select(Recommendation, Assembly.title).join(Assembly, Assembly.id == Recommendation.assembly_id)
            .where(Assembly.state.in_(PUBLIC_STATES), Recommendation.hidden.is_(False))
            .order_by(Recommendation.id))
    for r, assembly_title in db.session.execute(stmt):
        yield (r.id, r.assembly_id, assembly_title, r.number, r.title, r.votes_for, r.votes_against, r.votes_abstain,
               r.adopted_at.date(), r.answer_due_at.date(), r.decision.value if r.decision else None,
               r.answered_at.date() if r.answered_at else None,
               url_for("assemblies.recommendation", rec_id=r.id, _external=True))


def _recommendations_updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Recommendation.answered_at,
                                                                    Recommendation.created_at))))


def profile_rows():
    stmt = (sa.select(Selection).join(Assembly, Assembly.id == Selection.assembly_id)
            .where(Assembly.state.in_(PUBLIC_STATES),
                   Selection.state.in_((SelectionState.DRAWN, SelectionState.CLOSED)), Selection.report.is_not(None))
            .order_by(Selection.assembly_id))
    for s in db.session.scalars(stmt):
        categories = s.report.get("categories", [])
        for p in s.report.get("profiles", []):
            profile = "; ".join(f"{c}={v}" for c, v in zip(categories, p["profile"], strict=False))
            yield s.assembly_id, s.report.get("algorithm"), profile, p["people"], round(p["probability"], 6)


def _selections_updated_at():
    return db.session.scalar(sa.select(sa.func.max(Selection.drawn_at)))


def register() -> None:
    register_dataset(Dataset(
        name="assembly-recommendations", kind="recommendation",
        title_en="Recommendations of citizens' assemblies", title_fr="Recommandations des assemblées citoyennes",
        description_en="Every recommendation adopted by a public citizens' assembly, with the members' votes, "
                       "the date the official answer is due, and the answer's decision and date.",
        description_fr="Chaque recommandation adoptée par une assemblée citoyenne publique, avec les votes des "
                       "membres, la date due de la réponse officielle, et la décision et la date de la réponse.",
        method_en="votes_for, votes_against and votes_abstain are the counts the assembly recorded when it "
                  "adopted the recommendation. answer_due is the adoption day plus the assembly's answer delay. "
                  "Recommendations hidden by moderation and draft assemblies are not published.",
        method_fr="votes_for, votes_against et votes_abstain sont les décomptes enregistrés par l'assemblée à "
                  "l'adoption. answer_due est le jour d'adoption plus le délai de réponse de l'assemblée. Les "
                  "recommandations masquées par la modération et les assemblées en brouillon ne sont pas publiées.",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True, "minimum": 1}),
                Field("assembly_id", "integer", "Assembly", "Assemblée", {"required": True}),
                Field("assembly", "string", "Assembly's title", "Titre de l'assemblée", {"required": True}),
                Field("number", "integer", "Number within the assembly", "Numéro dans l'assemblée",
                      {"required": True}),
                Field("title", "string", "Title", "Titre", {"required": True}),
                Field("votes_for", "integer", "Members for", "Membres pour", {"required": True, "minimum": 0}),
                Field("votes_against", "integer", "Members against", "Membres contre",
                      {"required": True, "minimum": 0}),
                Field("votes_abstain", "integer", "Abstentions", "Abstentions", {"required": True, "minimum": 0}),
                Field("adopted_on", "date", "Day adopted", "Jour d'adoption", {"required": True}),
                Field("answer_due", "date", "Day the official answer is due", "Jour où la réponse est due",
                      {"required": True}),
                Field("decision", "string", "The answer's decision", "Décision de la réponse"),
                Field("answered_on", "date", "Day answered", "Jour de la réponse"),
                Field("url", "string", "Page", "Page", {"required": True})),
        rows=recommendation_rows, updated_at=_recommendations_updated_at, changelog=FIRST,
        shown_at=("assemblies.show", "assemblies.recommendation")))
    register_dataset(Dataset(
        name="assembly-selection-profiles", kind="assembly",
        title_en="Selection of assemblies: probabilities by profile",
        title_fr="Tirage des assemblées : probabilités par profil",
        description_en="For each published selection of an assembly's members, every distinct feature profile of "
                       "the volunteers, how many volunteers had it, and their probability of being selected.",
        description_fr="Pour chaque tirage publié des membres d'une assemblée, chaque profil distinct des "
                       "volontaires, le nombre de volontaires qui l'avaient et leur probabilité d'être tirés.",
        method_en="The probabilities come from the selection algorithm named (maximin by default), computed on the "
                  "frozen, anonymised pool; they sum to the panel size over all volunteers. With the "
                  "one-per-household rule, people sharing a profile may differ: the figure is their mean. The "
                  "same figures as the public selection report, which also gives the seed and the command to "
                  "recompute them.",
        method_fr="Les probabilités viennent de l'algorithme de tirage indiqué (maximin par défaut), calculées sur "
                  "le vivier figé et anonymisé ; leur somme sur tous les volontaires vaut la taille du panel. Avec "
                  "la règle d'une personne par foyer, des personnes de même profil peuvent différer : le chiffre "
                  "est leur moyenne. Les mêmes chiffres que le rapport public du tirage, qui donne aussi la graine "
                  "et la commande pour les recalculer.",
        fields=(Field("assembly_id", "integer", "Assembly", "Assemblée", {"required": True}),
                Field("algorithm", "string", "Selection algorithm", "Algorithme de tirage"),
                Field("profile", "string", "Feature profile (category=value; …)", "Profil (catégorie=valeur ; …)",
                      {"required": True}),
                Field("people", "integer", "Volunteers with this profile", "Volontaires de ce profil",
                      {"required": True, "minimum": 1}),
                Field("probability", "number", "Probability of selection", "Probabilité d'être tiré",
                      {"required": True, "minimum": 0, "maximum": 1})),
        rows=profile_rows, updated_at=_selections_updated_at, changelog=FIRST,
        shown_at=("assemblies_draw.report",)))
