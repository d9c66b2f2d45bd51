"""What the petitions module gives the generic modules through the content
registry (moderation, deliberation, accountability, home page, privacy)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from civic.extensions import db
from civic.petitions.models import NewsKind, Petition, PetitionNews, PetitionState

S = PetitionState


def excerpt(petition: Petition) -> str:
    return f"{petition.title} — {petition.background}"[:300]


def text(petition: Petition) -> str:
    return "\n\n".join(x for x in (petition.title, petition.background, petition.details) if x)


def authored_by(user_id: int) -> list[Petition]:
    return db.session.scalars(sa.select(Petition).where(Petition.creator_id == user_id)).all()


def context(_petition: Petition):
    return None  # a petition has no parent item


def comments_open(petition: Petition) -> bool:
    # Closed petitions close their comments; only an open petition takes new ones.
    return petition.state == S.OPEN


def owed_answers() -> list[dict]:
    """Petitions over their response threshold owe an official response by a due date."""
    rows = db.session.execute(
        sa.select(Petition, PetitionNews.published_at)
        .outerjoin(PetitionNews, sa.and_(PetitionNews.petition_id == Petition.id,
                                         PetitionNews.kind == NewsKind.RESPONSE))
        .where(Petition.response_threshold_at.is_not(None), Petition.state.in_([S.OPEN, S.CLOSED]))
        .order_by(Petition.response_due_at)).all()
    return [{"kind": "petition", "id": p.id, "title": p.title,
             "url": url_for("petitions.detail", petition_id=p.id), "district_id": p.district_id,
             "owed_since": p.response_threshold_at, "due_at": p.response_due_at, "answered_at": answered}
            for p, answered in rows]


def home_section(_user) -> dict | None:
    rows = db.session.scalars(sa.select(Petition).where(Petition.state == S.OPEN)
                              .order_by(Petition.signature_count.desc(), Petition.id.desc()).limit(3)).all()
    return {"title": _("Petitions open for signatures"),
            "intro": _("Ask the city to act: past the threshold, it must answer in public."),
            "items": [{"title": p.title, "url": url_for("petitions.detail", petition_id=p.id),
                       "detail": ngettext("%(count)s signature", "%(count)s signatures", p.signature_count,
                                                  count=format_decimal(p.signature_count))}
                      for p in rows],
            "more_url": url_for("petitions.index")}


def privacy_notice() -> dict:
    return {"title": _("Petitions"), "rows": [
        (_("Signers' name, email address, postcode and IP address"),
         _("Confirm each signature, count one signature per person, place it in a district, detect mass "
           "signing, and mail the official response to those who asked for it"),
         _("Until some months after the petition closes (set by the administrators, six months by default); "
           "then erased. Counts by district are kept.")),
        (_("Paper signatures recorded by a mediator: name, postcode, date"),
         _("Count signatures collected on paper"),
         _("Same as online signatures")),
    ]}
