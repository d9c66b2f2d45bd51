"""The petitions' daily series: counted signatures per petition, local day and
district (``petition_daily``), recomputed from the signature rows by a
periodic job and published as the open dataset ``petition-signatures-daily``.

A signature counts on the day it was given: the local day of ``created_at``
for an online signature, the date written on the form for a paper one. It
counts once validated and not flagged, as the petition's total does.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from civic.accounts.models import District
from civic.core import series
from civic.core.datasets import Dataset, Field
from civic.core.time import local_day
from civic.extensions import db
from civic.petitions.models import PUBLIC_STATES, Petition, PetitionDaily, Signature, SignatureState

DATASET = "petition-signatures-daily"


def count_day(day: date) -> list[dict]:
    """The counted signatures of ``day`` per petition and district. Two
    indexed queries (online by moment, paper by date) rather than one OR that
    no index serves."""
    start, end = series.day_window(day)
    counting = (Signature.state == SignatureState.VALIDATED, Signature.flagged.is_(False))
    by_key: Counter = Counter()
    online = (sa.select(Signature.petition_id, Signature.district_id, sa.func.count())
              .where(*counting, Signature.paper_date.is_(None),
                     Signature.created_at >= start, Signature.created_at < end)
              .group_by(Signature.petition_id, Signature.district_id))
    paper = (sa.select(Signature.petition_id, Signature.district_id, sa.func.count())
             .where(*counting, Signature.paper_date == day)
             .group_by(Signature.petition_id, Signature.district_id))
    for stmt in (online, paper):
        for petition_id, district_id, n in db.session.execute(stmt):
            by_key[(petition_id, district_id)] += n
    return [{"petition_id": p, "district_id": d, "signatures": n} for (p, d), n in sorted(
        by_key.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))]


def refresh_days(days=None) -> int:
    """Recompute the given local days (by default yesterday and today) and
    replace their rows. Idempotent: a second run writes the same rows."""
    written = 0
    for day in days or series.refresh_days():
        written += series.replace_day(PetitionDaily, day, count_day(day))
    db.session.flush()
    return written


def refresh_daily() -> None:
    """Periodic job body (``petitions.daily``): yesterday and today."""
    refresh_days()


def first_day() -> date | None:
    """The earliest day a counted signature could fall on (the backfill's start)."""
    first = db.session.scalar(sa.select(sa.func.min(Signature.created_at)))
    paper = db.session.scalar(sa.select(sa.func.min(Signature.paper_date)))
    days = [d for d in (local_day(first) if first else None, paper) if d]
    return min(days) if days else None


def rows():
    """The published rows, by petition, day and district; public petitions
    only; counts below the threshold empty."""
    stmt = (sa.select(PetitionDaily.petition_id, PetitionDaily.day, District.code, District.name,
                      PetitionDaily.signatures)
            .join(Petition, Petition.id == PetitionDaily.petition_id)
            .outerjoin(District, District.id == PetitionDaily.district_id)
            .where(Petition.state.in_(PUBLIC_STATES))
            .order_by(PetitionDaily.petition_id, PetitionDaily.day, PetitionDaily.district_id.is_not(None),
                      PetitionDaily.district_id)
            .execution_options(yield_per=1000))
    for petition_id, day, code, name, n in db.session.execute(stmt):
        yield (petition_id, day, code, name, series.suppressed(n))


def updated_at():
    return db.session.scalar(sa.select(sa.func.max(Signature.validated_at)))


def dataset() -> Dataset:
    return Dataset(
        name=DATASET, kind="petition",
        title_en="Petition signatures per day and district",
        title_fr="Signatures des pétitions par jour et par quartier",
        description_en="For each public petition, the number of counted signatures given each day, "
                       "by the signers' district.",
        description_fr="Pour chaque pétition publique, le nombre de signatures comptées chaque jour, "
                       "par quartier des signataires.",
        method_en="A signature counts once confirmed and not set aside by the checks against mass signing, "
                  "on the local day (Europe/Paris) it was given; a paper signature on the date written on "
                  "the form. The district comes from the signer's postcode; an empty district is a postcode "
                  "outside every district. Recomputed every hour for yesterday and today. "
                  + series.SUPPRESSION_EN,
        method_fr="Une signature compte une fois confirmée et non écartée par les contrôles contre les "
                  "signatures en masse, le jour local (Europe/Paris) où elle a été donnée ; une signature "
                  "papier à la date écrite sur le formulaire. Le quartier vient du code postal du signataire ; "
                  "un quartier vide est un code postal hors de tout quartier. Recalculé chaque heure pour la "
                  "veille et le jour même. " + series.SUPPRESSION_FR,
        fields=(
            Field("petition_id", "integer", "Petition number", "Numéro de la pétition", {"required": True}),
            Field("day", "date", "Local day (Europe/Paris)", "Jour local (Europe/Paris)", {"required": True}),
            Field("district_code", "string", "District code (empty: outside every district)",
                  "Code du quartier (vide : hors de tout quartier)"),
            Field("district_name", "string", "District name", "Nom du quartier"),
            Field("signatures", "integer", f"Signatures counted that day (empty below {series.MIN_COUNT})",
                  f"Signatures comptées ce jour-là (vide en dessous de {series.MIN_COUNT})", {"minimum": 0}),
        ),
        rows=rows, updated_at=updated_at, bulk=True,
        shown_at=("petitions.detail",))
