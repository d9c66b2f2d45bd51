"""Read side shared by the HTML pages, the CSV export and the JSON API:
bounded queries with a constant number of statements per page."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from civic.accounts.models import District
from civic.core.inputs import as_id
from civic.core.models import AuditEntry
from civic.extensions import db
from civic.petitions import search
from civic.petitions.models import DistrictCount, Petition, PetitionState

PAGE_SIZE = 20
SORTS = ("newest", "signatures", "closing")
LISTED_STATES = (PetitionState.OPEN, PetitionState.CLOSED, PetitionState.REJECTED)
HISTORY_ACTIONS = ("petition.created", "petition.submitted", "petition.sponsored", "petition.approved",
                   "petition.rejected", "petition.hidden", "petition.removed", "petition.restored",
                   "petition.closed", "petition.threshold_response", "petition.threshold_debate",
                   "petition.response_published", "petition.debate_published")


def district_by_code_or_id(value) -> int | None:
    """``district=`` accepts a district code (T06) or an id; unknown gives -1 (no match)."""
    if value in (None, ""):
        return None
    if str(value).isdigit():
        number = as_id(value)
        return number if number is not None else -1
    found = db.session.scalar(sa.select(District.id).where(District.code == str(value).upper()))
    return found if found is not None else -1


def list_stmt(state: str | None = None, district_id: int | None = None, topic: str | None = None,
              q: str | None = None, sort: str = "newest"):
    stmt = sa.select(Petition).options(selectinload(Petition.district))
    states = [s for s in LISTED_STATES if s.value == state] if state else [PetitionState.OPEN, PetitionState.CLOSED]
    if state and not states:
        states = [PetitionState.OPEN]
    stmt = stmt.where(Petition.state.in_(states))
    if district_id is not None:
        stmt = stmt.where(Petition.district_id == district_id)
    if topic:
        stmt = stmt.where(Petition.topic == topic)
    stmt = search.match(stmt, q or "")
    if sort == "signatures":
        stmt = stmt.order_by(Petition.signature_count.desc(), Petition.id.desc())
    elif sort == "closing":
        stmt = stmt.order_by(sa.case((Petition.state == PetitionState.OPEN, 0), else_=1),
                             Petition.closes_at.asc(), Petition.id)
    else:
        stmt = stmt.order_by(sa.func.coalesce(Petition.opened_at, Petition.created_at).desc(), Petition.id.desc())
    return stmt


def list_page(page: int = 1, per_page: int = PAGE_SIZE, **filters) -> tuple[list[Petition], bool]:
    page = max(1, page)
    rows = db.session.scalars(list_stmt(**filters).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def district_counts(petition_id: int) -> list[tuple[str | None, str | None, int]]:
    """(district name, code, count) by descending count; the NULL district is
    "outside the districts / unknown postcode"."""
    rows = db.session.execute(
        sa.select(District.name, District.code, DistrictCount.count)
        .select_from(DistrictCount).outerjoin(District, District.id == DistrictCount.district_id)
        .where(DistrictCount.petition_id == petition_id, DistrictCount.count > 0)
        .order_by(DistrictCount.count.desc(), District.name)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def history(petition_id: int) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.kind == "petition", AuditEntry.object_id == petition_id, AuditEntry.action.in_(HISTORY_ACTIONS))
        .order_by(AuditEntry.created_at, AuditEntry.id).limit(100)).all()
