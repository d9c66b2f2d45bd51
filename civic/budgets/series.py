"""The budgets' daily series: turnout, the ballots first cast per edition,
local day and envelope district (``budget_daily``), recomputed from the ballot
rows by a periodic job and published as the open dataset ``budget-ballots-daily``."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from civic.accounts.models import District
from civic.budgets.models import Ballot, BudgetDaily, BudgetEdition, Envelope
from civic.core import series
from civic.core.datasets import Dataset, Field
from civic.core.time import local_day
from civic.extensions import db

DATASET = "budget-ballots-daily"


def count_day(day: date) -> list[dict]:
    """Ballots first cast on ``day`` per edition and envelope district (a
    ballot changed later still counts on its first day: it is one voter)."""
    start, end = series.day_window(day)
    stmt = (sa.select(Envelope.edition_id, Envelope.district_id, sa.func.count())
            .select_from(Ballot).join(Envelope, Envelope.id == Ballot.envelope_id)
            .where(Ballot.created_at >= start, Ballot.created_at < end)
            .group_by(Envelope.edition_id, Envelope.district_id))
    return sorted(({"edition_id": e, "district_id": d, "ballots": n} for e, d, n in db.session.execute(stmt)),
                  key=lambda r: (r["edition_id"], r["district_id"] or 0))


def refresh_days(days=None) -> int:
    """Recompute the given local days (by default yesterday and today)."""
    written = 0
    for day in days or series.refresh_days():
        written += series.replace_day(BudgetDaily, day, count_day(day))
    db.session.flush()
    return written


def refresh_daily() -> None:
    """Periodic job body (``budgets.daily``): yesterday and today."""
    refresh_days()


def first_day() -> date | None:
    first = db.session.scalar(sa.select(sa.func.min(Ballot.created_at)))
    return local_day(first) if first else None


def rows():
    """Published rows by edition, day and district: published editions only;
    counts below the threshold empty."""
    stmt = (sa.select(BudgetDaily.edition_id, BudgetDaily.day, District.code, District.name, BudgetDaily.ballots)
            .join(BudgetEdition, BudgetEdition.id == BudgetDaily.edition_id)
            .outerjoin(District, District.id == BudgetDaily.district_id)
            .where(BudgetEdition.published_at.is_not(None))
            .order_by(BudgetDaily.edition_id, BudgetDaily.day, BudgetDaily.district_id.is_not(None),
                      BudgetDaily.district_id)
            .execution_options(yield_per=1000))
    for edition_id, day, code, name, n in db.session.execute(stmt):
        yield (edition_id, day, code, name, series.suppressed(n))


def updated_at():
    return db.session.scalar(sa.select(sa.func.max(Ballot.created_at)))


def dataset() -> Dataset:
    return Dataset(
        name=DATASET, kind="budget",
        title_en="Participatory budget turnout per day and district",
        title_fr="Participation au budget participatif par jour et par quartier",
        description_en="For each published budget edition, the number of ballots cast each day, by envelope "
                       "(a district, or the whole city).",
        description_fr="Pour chaque édition publiée du budget participatif, le nombre de bulletins déposés "
                       "chaque jour, par enveloppe (un quartier, ou toute la ville).",
        method_en="A ballot counts once, on the local day (Europe/Paris) it was first cast or entered from "
                  "paper; changing it later does not count it again. An empty district is the city-wide "
                  "envelope. Recomputed every hour for yesterday and today. " + series.SUPPRESSION_EN,
        method_fr="Un bulletin compte une fois, le jour local (Europe/Paris) où il a été déposé ou saisi depuis "
                  "le papier ; le modifier ensuite ne le compte pas à nouveau. Un quartier vide est "
                  "l'enveloppe de toute la ville. Recalculé chaque heure pour la veille et le jour même. "
                  + series.SUPPRESSION_FR,
        fields=(
            Field("edition_id", "integer", "Budget edition number", "Numéro de l'édition", {"required": True}),
            Field("day", "date", "Local day (Europe/Paris)", "Jour local (Europe/Paris)", {"required": True}),
            Field("district_code", "string", "District code of the envelope (empty: whole city)",
                  "Code du quartier de l'enveloppe (vide : toute la ville)"),
            Field("district_name", "string", "District name", "Nom du quartier"),
            Field("ballots", "integer", f"Ballots cast that day (empty below {series.MIN_COUNT})",
                  f"Bulletins déposés ce jour-là (vide en dessous de {series.MIN_COUNT})", {"minimum": 0}),
        ),
        rows=rows, updated_at=updated_at, shown_at=("budgets.edition",))
