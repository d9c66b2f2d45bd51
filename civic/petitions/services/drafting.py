"""Starting a petition: the draft, its text checks, and sending it to sponsors."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

import civic.petitions.services.legal as legal
from civic.accounts.models import District
from civic.core import audit, content, security
from civic.core.errors import InvalidTransition, RateLimited, ValidationError
from civic.core.permissions import require
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions import permissions
from civic.petitions.labels import TOPICS
from civic.petitions.models import FLOW, Petition, PetitionState, Signature, SignatureState
from civic.petitions.services.checks import check_text

S = PetitionState


def _clean_fields(title, background, details, topic, district_id, decision_maker) -> dict:
    title, background = clean_text(title), clean_text(background, multiline=True)
    details, maker = clean_text(details, multiline=True), clean_text(decision_maker)
    errors = {}
    check_text(errors, "title", title, 80,
               _("Say what action you ask for, for example “Open the Alfred Nakache pool on Sundays”."))
    check_text(errors, "background", background, 300, _("Explain in a few sentences why this action is needed."))
    check_text(errors, "details", details, 800)
    check_text(errors, "decision_maker", maker, 120)
    if topic not in TOPICS:
        errors["topic"] = _("Choose a topic from the list.")
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    if errors:
        raise ValidationError(fields=errors)
    return {"title": title, "background": background, "details": details, "topic": topic,
            "district_id": district_id, "decision_maker": maker or None}


def validate_petition(actor, legal_kind=None, **fields) -> dict:
    """Check a petition's text without saving it (the preview step)."""
    require(permissions.can_create_petition(actor))
    data = _clean_fields(**fields)
    probe = Petition()
    legal.make_legal(probe, legal_kind)
    if probe.legal_kind is not None:
        data.update(legal_kind=probe.legal_kind.value, decision_maker=probe.decision_maker)
    return data


def create_petition(actor, *, title, background, details="", topic="other", district_id=None,
                    decision_maker=None, legal_kind=None) -> Petition:
    """Create a draft petition; its creator submits it to sponsors when ready.
    ``legal_kind`` "I" or "II" makes it a request to the council under CGCT
    L1112-16 (:mod:`civic.petitions.services.legal`)."""
    require(permissions.can_create_petition(actor))
    data = _clean_fields(title, background, details, topic, district_id, decision_maker)
    legal.make_legal(Petition(), legal_kind)  # refuse an unknown kind before the rate limit counts
    allowed, retry = security.hit(f"petition-create:{actor.id}", 5, 86400)
    if not allowed:
        raise RateLimited(_("You have started many petitions today. Please come back tomorrow."), retry_after=retry)
    petition = Petition(**data, creator_id=actor.id, state=S.DRAFT, sponsor_token=secrets.token_urlsafe(18))
    legal.make_legal(petition, legal_kind)
    db.session.add(petition)
    db.session.flush()
    audit.record(actor, "petition.created", "petition", petition.id)
    content.created("petition", petition, actor)
    return petition


def update_draft(actor, petition: Petition, legal_kind=None, **fields) -> Petition:
    """Edit a petition while it is still a draft."""
    require(permissions.can_edit_petition(actor, petition))
    if petition.state != S.DRAFT:
        raise InvalidTransition(_("Only a draft can be changed: sponsors have seen this text."))
    for key, value in _clean_fields(**fields).items():
        setattr(petition, key, value)
    legal.make_legal(petition, legal_kind)
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.edited", "petition", petition.id)
    return petition


def submit_petition(actor, petition: Petition) -> None:
    """Draft -> collecting sponsors: the creator gets the link to share."""
    require(permissions.can_edit_petition(actor, petition))
    transition(petition, FLOW, S.SPONSORS, actor, "petition.submitted", kind="petition", stamp="updated_at")
    petition.submitted_at = utcnow()
    db.session.flush()


def sponsor_url(petition: Petition) -> str:
    """The link the creator shares with the people who sponsor the petition."""
    return absolute_url("petitions.sponsor", petition_id=petition.id, token=petition.sponsor_token)


def sponsor_count(petition: Petition) -> int:
    """Sponsors who confirmed their signature so far."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Signature).where(
        Signature.petition_id == petition.id, Signature.sponsor.is_(True),
        Signature.state == SignatureState.VALIDATED))
