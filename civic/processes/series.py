"""The processes' daily series: supports each proposal received per local day
(``proposal_daily``), recomputed from the support rows by a periodic job and
published as the open dataset ``proposal-supports-daily``."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from civic.core import series
from civic.core.datasets import Dataset, Field
from civic.core.time import local_day
from civic.extensions import db
from civic.processes.models import Process, Proposal, ProposalDaily, Support

DATASET = "proposal-supports-daily"


def count_day(day: date) -> list[dict]:
    """Supports given on ``day`` per proposal (a support withdrawn since is
    gone from the rows, so from the count)."""
    start, end = series.day_window(day)
    stmt = (sa.select(Support.proposal_id, sa.func.count())
            .where(Support.created_at >= start, Support.created_at < end)
            .group_by(Support.proposal_id).order_by(Support.proposal_id))
    return [{"proposal_id": p, "supports": n} for p, n in db.session.execute(stmt)]


def refresh_days(days=None) -> int:
    """Recompute the given local days (by default yesterday and today)."""
    written = 0
    for day in days or series.refresh_days():
        written += series.replace_day(ProposalDaily, day, count_day(day))
    db.session.flush()
    return written


def refresh_daily() -> None:
    """Periodic job body (``processes.daily``): yesterday and today."""
    refresh_days()


def first_day() -> date | None:
    first = db.session.scalar(sa.select(sa.func.min(Support.created_at)))
    return local_day(first) if first else None


def rows():
    """Published rows by proposal and day: visible proposals of published
    processes only; counts below the threshold empty."""
    stmt = (sa.select(Proposal.process_id, ProposalDaily.proposal_id, ProposalDaily.day, ProposalDaily.supports)
            .join(Proposal, Proposal.id == ProposalDaily.proposal_id)
            .join(Process, Process.id == Proposal.process_id)
            .where(Process.published_at.is_not(None), Proposal.hidden.is_(False))
            .order_by(ProposalDaily.proposal_id, ProposalDaily.day)
            .execution_options(yield_per=1000))
    for process_id, proposal_id, day, n in db.session.execute(stmt):
        yield (process_id, proposal_id, day, series.suppressed(n))


def updated_at():
    return db.session.scalar(sa.select(sa.func.max(Support.created_at)))


def dataset() -> Dataset:
    return Dataset(
        name=DATASET, kind="proposal",
        title_en="Supports of proposals per day", title_fr="Soutiens aux propositions par jour",
        description_en="For each visible proposal of a published participatory process, the number of "
                       "supports it received each day.",
        description_fr="Pour chaque proposition visible d'une démarche participative publiée, le nombre de "
                       "soutiens reçus chaque jour.",
        method_en="A support counts on the local day (Europe/Paris) it was given; a support withdrawn since "
                  "no longer counts. Recomputed every hour for yesterday and today. " + series.SUPPRESSION_EN,
        method_fr="Un soutien compte le jour local (Europe/Paris) où il a été donné ; un soutien retiré depuis "
                  "ne compte plus. Recalculé chaque heure pour la veille et le jour même. "
                  + series.SUPPRESSION_FR,
        fields=(
            Field("process_id", "integer", "Process number", "Numéro de la démarche", {"required": True}),
            Field("proposal_id", "integer", "Proposal number", "Numéro de la proposition", {"required": True}),
            Field("day", "date", "Local day (Europe/Paris)", "Jour local (Europe/Paris)", {"required": True}),
            Field("supports", "integer", f"Supports given that day (empty below {series.MIN_COUNT})",
                  f"Soutiens donnés ce jour-là (vide en dessous de {series.MIN_COUNT})", {"minimum": 0}),
        ),
        rows=rows, updated_at=updated_at, shown_at=("processes.proposal",))
