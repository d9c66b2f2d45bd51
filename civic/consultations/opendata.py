"""The consultations' open dataset (issue 20): the aggregated results of
every public closed consultation, one row per figure, exactly the rows of
the results CSV. District groups under ``tally.K_ANONYMITY`` answers are
suppressed by the results job itself, so they never reach this file."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core.datasets import Activity, Dataset, Field, month_of, register_activity, register_dataset
from civic.extensions import db

from . import permissions, tally
from .models import Consultation, ConsultationParticipation


def _public_with_results():
    stmt = sa.select(Consultation).where(Consultation.results.is_not(None)).order_by(Consultation.id)
    for c in db.session.scalars(stmt):
        if permissions.can_view_consultation(None, c):
            yield c


def result_rows():
    for c in _public_with_results():
        for question_id, question, kind, district, option, measure, value in tally.result_rows(c.results):
            yield (c.id, c.title, question_id, question, kind, district,
                   None if option == "" else str(option), measure, None if value == "" else value)


def _updated_at():
    return db.session.scalar(sa.select(sa.func.max(Consultation.results_computed_at))
                             .where(Consultation.hidden.is_(False)))


def answer_counts():
    m = month_of(ConsultationParticipation.answered_on)
    return db.session.execute(sa.select(m, Consultation.district_id, sa.func.count())
                              .select_from(ConsultationParticipation)
                              .join(Consultation, Consultation.id == ConsultationParticipation.consultation_id)
                              .group_by(m, Consultation.district_id)).all()


def register() -> None:
    register_activity(Activity(
        "consultation_answers", "Consultation answers", "Réponses aux consultations",
        "people who answered a consultation, in the consultation's district (answers are anonymous: the "
        "answer is never linked to the person).",
        "personnes ayant répondu à une consultation, dans le quartier de la consultation (les réponses sont "
        "anonymes : jamais reliées à la personne).", answer_counts))
    register_dataset(Dataset(
        name="consultation-results", kind="consultation",
        title_en="Consultation results", title_fr="Résultats des consultations",
        description_en="The aggregated answers of every closed public consultation: counts and percentages per "
                       "choice, rankings, agreement scales, for the whole city and by district.",
        description_fr="Les réponses agrégées de chaque consultation publique close : nombres et pourcentages "
                       "par choix, classements, échelles d'accord, pour toute la ville et par quartier.",
        method_en=f"Computed once, when the consultation closes. Choice questions: count and percent of those "
                  f"who answered the question. Ranking questions: Borda count (first place earns K points, the "
                  f"K-th 1, unranked 0), average rank and how many ranked the option. Scales: distribution over "
                  f"the 5 points. A district appears only when at least {tally.K_ANONYMITY} people of that "
                  f"district answered the question: smaller groups could point at a few neighbours and are "
                  f"left out (district 'all' still counts them). Free texts are not in this file. One row per "
                  f"figure: measure names it.",
        method_fr=f"Calculés une fois, à la clôture de la consultation. Questions à choix : nombre et "
                  f"pourcentage des personnes ayant répondu à la question. Classements : score de Borda (la "
                  f"première place vaut K points, la K-ième 1, non classé 0), rang moyen et nombre de personnes "
                  f"ayant classé l'option. Échelles : répartition sur les 5 points. Un quartier n'apparaît que si "
                  f"au moins {tally.K_ANONYMITY} personnes de ce quartier ont répondu à la question : des groupes "
                  f"plus petits pourraient désigner quelques voisins et sont omis (le total « all » les compte). "
                  f"Les réponses libres ne sont pas dans ce fichier. Une ligne par chiffre, nommé par measure.",
        fields=(Field("consultation_id", "integer", "Identifier of the consultation",
                      "Identifiant de la consultation", {"required": True}),
                Field("consultation", "string", "Title of the consultation", "Titre de la consultation"),
                Field("question_id", "integer", "Identifier of the question", "Identifiant de la question",
                      {"required": True}),
                Field("question", "string", "The question", "La question"),
                Field("kind", "string", "Kind of question", "Type de question",
                      {"enum": ["single", "multiple", "ranking", "scale", "text"]}),
                Field("district", "string", "District code, or 'all' for the whole city",
                      "Code du quartier, ou « all » pour toute la ville", {"required": True}),
                Field("option", "string", "Choice, or point of the scale", "Choix, ou point de l'échelle"),
                Field("measure", "string", "What value is", "Ce que value mesure",
                      {"required": True, "enum": ["answered", "count", "percent", "borda", "average_rank",
                                                  "ranked"]}),
                Field("value", "number", "The figure", "Le chiffre", {"minimum": 0})),
        rows=result_rows, updated_at=_updated_at, shown_at=("consultations.results",),
        changelog=(("2026-12-03", "Première publication. / First publication."),)))
