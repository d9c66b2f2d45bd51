"""The daily open data series (issue 20, item 5): counts per local day,
recomputed from the source rows (a second run gives the same rows), small
counts published empty, local days in Europe/Paris, and the backfill command."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from civic.budgets.models import Ballot, BallotChannel, BudgetDaily
from civic.consultations.models import ConsultationDaily, ConsultationParticipation
from civic.core import datasets
from civic.core.jobs import run_periodic
from civic.extensions import db
from civic.petitions.models import PetitionDaily, Signature, SignatureState
from civic.processes.models import ProposalDaily, Support
from tests import factories
from tests.budgets import factories as bf
from tests.consultations import factories as cf
from tests.petitions import factories as pf
from tests.processes import factories as prf

DEC1, DEC2, DEC3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)


def stored(model, *columns):
    # Sorted here, empty districts first: SQLite and PostgreSQL order NULLs differently.
    rows = db.session.execute(sa.select(*columns)).all()
    return sorted((tuple(r) for r in rows), key=lambda r: tuple((x is not None, x) for x in r))


def published(name):
    return list(datasets.get_dataset(name).rows())


def refresh(module_series, days):
    module_series.refresh_days(days)
    db.session.commit()


def test_signatures_count_on_their_local_day_by_district_and_small_counts_are_empty(app):
    from civic.petitions import series

    north, south = factories.district("NORD", "Nord"), factories.district("SUD", "Sud")
    p = pf.petition()
    # 23:30 UTC on 1 December is 00:30 on 2 December in Paris (winter, UTC+1).
    pf.signatures(p, 12, district=north, created_at=datetime(2026, 12, 1, 23, 30))
    pf.signatures(p, 3, district=north, created_at=datetime(2026, 12, 1, 22, 30))   # 23:30 local, 1 Dec
    pf.signatures(p, 4, district=south, created_at=datetime(2026, 12, 1, 23, 30))
    # Paper: the date on the form, not the day it was typed in.
    pf.signatures(p, 10, district=north, source="paper", paper_date=DEC1, created_at=datetime(2026, 12, 3, 9))
    # Not counted: unconfirmed, or set aside by the mass-signing checks.
    pf.signatures(p, 5, district=north, state="pending", created_at=datetime(2026, 12, 1, 23, 30))
    pf.signatures(p, 5, district=north, flagged=True, created_at=datetime(2026, 12, 1, 23, 30))

    refresh(series, [DEC1, DEC2, DEC3])

    cols = (PetitionDaily.petition_id, PetitionDaily.day, PetitionDaily.district_id, PetitionDaily.signatures)
    assert stored(PetitionDaily, *cols) == [(p.id, DEC1, north.id, 13), (p.id, DEC2, north.id, 12),
                                            (p.id, DEC2, south.id, 4)]
    assert published("petition-signatures-daily") == [
        (p.id, DEC1, "NORD", "Nord", 13), (p.id, DEC2, "NORD", "Nord", 12), (p.id, DEC2, "SUD", "Sud", None)]


def test_a_second_run_gives_the_same_rows_and_follows_changes_of_the_source(app):
    from civic.petitions import series

    north = factories.district()
    p = pf.petition()
    ids = pf.signatures(p, 11, district=north, created_at=datetime(2026, 12, 2, 10))
    cols = (PetitionDaily.day, PetitionDaily.district_id, PetitionDaily.signatures)
    refresh(series, [DEC1, DEC2])
    first = stored(PetitionDaily, *cols)
    refresh(series, [DEC1, DEC2])
    assert stored(PetitionDaily, *cols) == first == [(DEC2, north.id, 11)]
    # A signature withdrawn since: the day is recomputed, not added to.
    db.session.get(Signature, ids[0]).state = SignatureState.WITHDRAWN
    db.session.commit()
    refresh(series, [DEC2])
    assert stored(PetitionDaily, *cols) == [(DEC2, north.id, 10)]


def test_the_hourly_job_recomputes_yesterday_and_today_only(app, clock):
    p = pf.petition()
    pf.signatures(p, 10, created_at=datetime(2026, 11, 20, 12))   # long ago: the backfill's business
    pf.signatures(p, 10, created_at=datetime(2026, 12, 1, 12))
    pf.signatures(p, 10, created_at=datetime(2026, 12, 2, 9))
    clock.set(datetime(2026, 12, 2, 10))
    run_periodic("petitions.daily")
    run_periodic("petitions.daily")
    assert stored(PetitionDaily, PetitionDaily.day, PetitionDaily.signatures) == [(DEC1, 10), (DEC2, 10)]


def test_hidden_petitions_are_not_published(app):
    from civic.petitions import series

    hidden = pf.petition(state="hidden")
    pf.signatures(hidden, 20, created_at=datetime(2026, 12, 2, 10))
    refresh(series, [DEC2])
    assert stored(PetitionDaily, PetitionDaily.signatures) == [(20,)]
    assert published("petition-signatures-daily") == []


def test_supports_per_proposal_per_day(app):
    from civic.processes import series

    process = prf.process()
    big, small = prf.proposal(process), prf.proposal(process, title="Des arceaux rue Alsace-Lorraine")
    for _ in range(10):
        prf.support(big)
    for _ in range(2):
        prf.support(small)
    db.session.execute(sa.update(Support).values(created_at=datetime(2026, 12, 2, 23, 15)))  # 3 Dec in Paris
    db.session.commit()
    refresh(series, [DEC2, DEC3])
    assert stored(ProposalDaily, ProposalDaily.proposal_id, ProposalDaily.day, ProposalDaily.supports) == [
        (big.id, DEC3, 10), (small.id, DEC3, 2)]
    assert published("proposal-supports-daily") == [(process.id, big.id, DEC3, 10), (process.id, small.id, DEC3, None)]
    big.hidden = True
    db.session.commit()
    assert published("proposal-supports-daily") == [(process.id, small.id, DEC3, None)]


def test_budget_turnout_per_edition_day_and_envelope_district(app):
    from civic.budgets import series

    north = factories.district("NORD", "Nord")
    official = factories.user(roles=["official"])
    edition = bf.edition(official, envelopes=((None, 100_000), (north, 50_000)))
    city, local = sorted(edition.envelopes, key=lambda e: e.district_id is not None)
    for i in range(12):
        db.session.add(Ballot(envelope_id=city.id, user_id=factories.user().id, channel=BallotChannel.ONLINE,
                              project_ids=[], created_at=datetime(2026, 12, 2, 8), updated_at=datetime(2026, 12, 3, 8)))
        if i < 5:
            db.session.add(Ballot(envelope_id=local.id, user_id=factories.user().id, channel=BallotChannel.ONLINE,
                                  project_ids=[], created_at=datetime(2026, 12, 2, 8)))
    db.session.commit()
    refresh(series, [DEC2, DEC3])
    cols = (BudgetDaily.edition_id, BudgetDaily.day, BudgetDaily.district_id, BudgetDaily.ballots)
    # A ballot changed on 3 December still counts once, on the day it was cast.
    assert stored(BudgetDaily, *cols) == [(edition.id, DEC2, None, 12), (edition.id, DEC2, north.id, 5)]
    assert published("budget-ballots-daily") == [(edition.id, DEC2, None, None, 12),
                                                 (edition.id, DEC2, "NORD", "Nord", None)]


def test_answers_per_consultation_per_day(app, clock):

    clock.set(datetime(2026, 12, 2, 10))
    busy, quiet = cf.consultation(), cf.consultation(title="Marché de nuit")
    cf.answer_many(busy, None, 10)
    cf.answer_many(quiet, None, 3)
    assert {r.answered_on for r in db.session.scalars(sa.select(ConsultationParticipation))} == {DEC2}
    run_periodic("consultations.daily")
    assert stored(ConsultationDaily, ConsultationDaily.consultation_id, ConsultationDaily.answers) == [
        (busy.id, 10), (quiet.id, 3)]
    # Ten people is the threshold: shown; three is not.
    assert published("consultation-answers-daily") == [(busy.id, DEC2, 10), (quiet.id, DEC2, None)]


def test_backfill_command_recomputes_past_days(app, clock):
    clock.set(datetime(2026, 12, 3, 10))
    p = pf.petition()
    for day in range(24, 31):
        pf.signatures(p, 10, created_at=datetime(2026, 11, day, 12))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civic", "backfill-series", "petitions", "--since", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "petitions: 6 daily rows" in result.output
    days = [d for (d,) in stored(PetitionDaily, PetitionDaily.day)]
    assert days == [date(2026, 11, d) for d in range(25, 31)]
    # Without --since: from the first day with signatures.
    result = runner.invoke(args=["civic", "backfill-series", "petitions"])
    assert "petitions: 7 daily rows" in result.output
    assert runner.invoke(args=["civic", "backfill-series", "nothing"]).exit_code == 2


def test_series_are_declared_as_datasets_without_personal_data(app):
    names = {d.name for d in datasets.datasets()}
    assert {"petition-signatures-daily", "proposal-supports-daily", "budget-ballots-daily",
            "consultation-answers-daily"} <= names
    for name in ("petition-signatures-daily", "proposal-supports-daily", "budget-ballots-daily",
                 "consultation-answers-daily"):
        ds = datasets.get_dataset(name)
        assert "10" in ds.method_en and "10" in ds.method_fr  # the suppression rule is stated
        assert not {"email", "name", "ip", "user_id"} & set(ds.header)


def test_a_backfill_never_writes_while_the_hourly_job_runs(app, clock):
    from civic.core.jobs import job_lock
    from civic.core.series import all_series, backfill

    clock.set(datetime(2026, 12, 3, 10))
    p = pf.petition()
    pf.signatures(p, 10, created_at=datetime(2026, 12, 1, 12))
    petitions = next(s for s in all_series() if s.name == "petitions")
    with job_lock("periodic:petitions.daily") as got:
        assert got
        with pytest.raises(RuntimeError, match="petitions.daily"):
            backfill(petitions, wait=0)
    assert stored(PetitionDaily, PetitionDaily.day) == []
    assert backfill(petitions) == 1
