"""The consultations' daily series: people who answered per consultation and
local day (``consultation_daily``), recomputed from the participation rows
(which keep the day only, never the time) by a periodic job and published as
the open dataset ``consultation-answers-daily``."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from civic.consultations.models import Consultation, ConsultationDaily, ConsultationParticipation, Status
from civic.core import series
from civic.core.datasets import Dataset, Field
from civic.extensions import db

DATASET = "consultation-answers-daily"


def count_day(day: date) -> list[dict]:
    """People who answered on ``day`` per consultation, online or on paper."""
    stmt = (sa.select(ConsultationParticipation.consultation_id, sa.func.count())
            .where(ConsultationParticipation.answered_on == day)
            .group_by(ConsultationParticipation.consultation_id)
            .order_by(ConsultationParticipation.consultation_id))
    return [{"consultation_id": c, "answers": n} for c, n in db.session.execute(stmt)]


def refresh_days(days=None) -> int:
    """Recompute the given local days (by default yesterday and today)."""
    written = 0
    for day in days or series.refresh_days():
        written += series.replace_day(ConsultationDaily, day, count_day(day))
    db.session.flush()
    return written


def refresh_daily() -> None:
    """Periodic job body (``consultations.daily``): yesterday and today."""
    refresh_days()


def first_day() -> date | None:
    return db.session.scalar(sa.select(sa.func.min(ConsultationParticipation.answered_on)))


def rows():
    """Published rows by consultation and day: public consultations only;
    counts below the threshold empty."""
    stmt = (sa.select(ConsultationDaily.consultation_id, ConsultationDaily.day, ConsultationDaily.answers)
            .join(Consultation, Consultation.id == ConsultationDaily.consultation_id)
            .where(Consultation.status != Status.DRAFT, Consultation.hidden.is_(False))
            .order_by(ConsultationDaily.consultation_id, ConsultationDaily.day)
            .execution_options(yield_per=1000))
    for consultation_id, day, n in db.session.execute(stmt):
        yield (consultation_id, day, series.suppressed(n))


def dataset() -> Dataset:
    return Dataset(
        name=DATASET, kind="consultation",
        title_en="Answers to consultations per day", title_fr="Réponses aux consultations par jour",
        description_en="For each public consultation, the number of people who answered each day.",
        description_fr="Pour chaque consultation publique, le nombre de personnes ayant répondu chaque jour.",
        method_en="A person counts on the local day (Europe/Paris) of their first answer, online or entered "
                  "from a paper form; only the day is kept, never the time, and what they answered is never "
                  "linked to it. Recomputed every hour for yesterday and today. " + series.SUPPRESSION_EN,
        method_fr="Une personne compte le jour local (Europe/Paris) de sa première réponse, en ligne ou saisie "
                  "depuis un formulaire papier ; seul le jour est gardé, jamais l'heure, et ce qu'elle a "
                  "répondu n'y est jamais relié. Recalculé chaque heure pour la veille et le jour même. "
                  + series.SUPPRESSION_FR,
        fields=(
            Field("consultation_id", "integer", "Consultation number", "Numéro de la consultation",
                  {"required": True}),
            Field("day", "date", "Local day (Europe/Paris)", "Jour local (Europe/Paris)", {"required": True}),
            Field("answers", "integer", f"People who answered that day (empty below {series.MIN_COUNT})",
                  f"Personnes ayant répondu ce jour-là (vide en dessous de {series.MIN_COUNT})", {"minimum": 0}),
        ),
        rows=rows, shown_at=("consultations.detail",))
