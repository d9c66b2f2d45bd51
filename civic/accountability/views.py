"""The public accountability page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from civic.accounts.models import District
from civic.core.export import page_arg
from civic.core.inputs import as_id
from civic.extensions import db

from . import services

bp = Blueprint("accountability", __name__, url_prefix="/accountability")
PAGE_SIZE = 30


def district_filter(value: str | None) -> District | None:
    """``?district=`` takes a district code (T06) or id."""
    if not value:
        return None
    stmt = sa.select(District).where(District.code == value)
    if as_id(value) is not None:
        stmt = sa.select(District).where(sa.or_(District.code == value, District.id == as_id(value)))
    return db.session.scalar(stmt)


@bp.get("")
def index():
    districts = db.session.scalars(sa.select(District).order_by(District.code)).all()
    district = district_filter(request.args.get("district"))
    state = request.args.get("state") or None
    if state not in {s.value for s in services.State}:
        state = None
    kind = request.args.get("kind") or None
    kinds = services.owing_kinds()
    if kind not in {k.name for k in kinds}:
        kind = None
    page = page_arg()
    everything = services.owed_items(district_id=district.id if district else None, kind=kind)
    figures = services.summary(everything)
    items = [i for i in everything if state is None or i["state"] == state]
    shown = items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    names = {d.id: d.name for d in districts}
    args = {k: v for k, v in {"district": district.code if district else None, "state": state,
                              "kind": kind}.items() if v}
    return render_template("accountability/index.html", items=shown, figures=figures, districts=districts,
                           district=district, state=state, kind=kind, kinds=kinds, names=names, page=page,
                           has_next=len(items) > page * PAGE_SIZE, args=args, states=services.State)
