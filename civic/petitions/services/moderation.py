"""Moderation of petitions: the queue, the lock that keeps two moderators
from deciding at once, the decisions (publish, reject, hide), removal and
restoration, and the mails they send."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

import civic.petitions.services.legal as legal
from civic.accounts.models import User
from civic.core.errors import InvalidTransition, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import require
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions import permissions
from civic.petitions import settings as psettings
from civic.petitions.labels import HIDE_REASONS, REJECT_REASONS, REMOVE_REASONS, reason_label
from civic.petitions.models import FLOW, Petition, PetitionState, Signature, SignatureState, TrafficReport
from civic.petitions.services.checks import check_text

S = PetitionState
LOCK_MINUTES = 30


def moderation_queue(actor) -> list[Petition]:
    """Petitions awaiting moderation in the actor's districts, longest waiting first."""
    require(permissions.can_moderate_petitions(actor))
    stmt = sa.select(Petition).where(Petition.state == S.MODERATION,
                                     permissions.moderated_petitions(actor, Petition.district_id))
    return db.session.scalars(stmt.order_by(Petition.moderation_at, Petition.id).limit(200)).all()


def traffic_reports(actor, limit: int = 200) -> list[TrafficReport]:
    """The hourly reports of unusual signing volume on the petitions the
    actor moderates (a district moderator: their districts only), latest
    hour first, then the largest volumes."""
    require(permissions.can_moderate_petitions(actor))
    stmt = (sa.select(TrafficReport).join(Petition, Petition.id == TrafficReport.petition_id)
            .where(permissions.moderated_petitions(actor, Petition.district_id))
            .options(contains_eager(TrafficReport.petition))
            .order_by(TrafficReport.hour.desc(), TrafficReport.count.desc(), TrafficReport.id).limit(limit))
    return db.session.scalars(stmt).all()


def take_for_moderation(actor, petition: Petition) -> None:
    """Lock the petition to this moderator for a while, so two moderators
    never decide on it at once. A conditional UPDATE makes the claim atomic."""
    require(permissions.can_moderate_petition(actor, petition))
    if petition.state != S.MODERATION:
        raise InvalidTransition()
    now = utcnow()
    table = Petition.__table__
    got = db.session.execute(table.update().where(
        table.c.id == petition.id,
        sa.or_(table.c.locked_by_id.is_(None), table.c.locked_by_id == actor.id, table.c.locked_until < now),
    ).values(locked_by_id=actor.id, locked_until=now + timedelta(minutes=LOCK_MINUTES))).rowcount
    db.session.refresh(petition)
    if not got:
        holder = db.session.get(User, petition.locked_by_id)
        raise InvalidTransition(_("%(name)s is moderating this petition. It is locked until %(time)s UTC.",
                                  name=holder.display_name if holder else "?",
                                  time=petition.locked_until.strftime("%H:%M")))


def release_moderation(actor, petition: Petition) -> None:
    """Give the lock back before it expires, so another moderator can decide."""
    require(permissions.can_moderate_petition(actor, petition))
    if petition.locked_by_id == actor.id:
        petition.locked_by_id = petition.locked_until = None
        db.session.flush()


def _decision_mail(petition: Petition, subject, template: str) -> None:
    """Mail the creator and the confirmed sponsors about a moderation decision."""
    ctx = {"petition": petition, "reason": reason_label(petition.reason_code), "explanation": petition.reason_text,
           "url": absolute_url("petitions.detail", petition_id=petition.id)}
    if petition.creator and petition.creator.email:
        queue_mail(petition.creator.email, subject, template, ctx, user=petition.creator,
                   dedupe_key=f"pdec:{petition.id}:{petition.state.value}:creator")
    sponsors = db.session.scalars(sa.select(Signature).where(
        Signature.petition_id == petition.id, Signature.sponsor.is_(True),
        Signature.state == SignatureState.VALIDATED, Signature.email.is_not(None))).all()
    for sig in sponsors:
        queue_mail(sig.email, subject, template, ctx, locale=sig.locale,
                   dedupe_key=f"pdec:{petition.id}:{petition.state.value}:{sig.id}")


def approve_petition(actor, petition: Petition) -> None:
    """Awaiting moderation -> open, with the thresholds and duration of today's settings."""
    take_for_moderation(actor, petition)
    values = psettings.load()
    now = utcnow()
    petition.opened_at, petition.closes_at = now, now + timedelta(days=values["open_days"])
    petition.response_threshold, petition.debate_threshold = values["response_threshold"], values["debate_threshold"]
    if petition.legal_kind is not None:
        legal.open_legal(petition)  # the threshold from the roll in force, or a refusal without a roll
    transition(petition, FLOW, S.OPEN, actor, "petition.approved", kind="petition", stamp="updated_at")
    petition.locked_by_id = petition.locked_until = None
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition is published"), "petitions/approved")


def _coded(code: str, explanation: str, allowed: dict) -> str:
    explanation = clean_text(explanation, multiline=True)
    errors = {}
    if code not in allowed:
        errors["code"] = _("Choose a reason from the list.")
    check_text(errors, "explanation", explanation, 2000,
               _("Explain the decision in a sentence or two: the creator will read it."))
    if errors:
        raise ValidationError(fields=errors)
    return explanation


def reject_petition(actor, petition: Petition, code: str, explanation: str) -> None:
    """Reject with a public coded reason and an explanation."""
    _decline(actor, petition, S.REJECTED, "petition.rejected", code, explanation, REJECT_REASONS)


def hide_petition(actor, petition: Petition, code: str, explanation: str) -> None:
    """Reject for a reason that hides the text (offensive, libellous, advert, personal data)."""
    _decline(actor, petition, S.HIDDEN, "petition.hidden", code, explanation, HIDE_REASONS)


def _decline(actor, petition: Petition, to: PetitionState, action: str, code: str, explanation: str,
             reasons: dict) -> None:
    take_for_moderation(actor, petition)  # checks the moderator's permission first
    explanation = _coded(code, explanation, reasons)
    petition.reason_code, petition.reason_text, petition.rejected_at = code, explanation, utcnow()
    transition(petition, FLOW, to, actor, action, kind="petition", stamp="updated_at", reason=explanation, code=code)
    petition.locked_by_id = petition.locked_until = None
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition was not published"), "petitions/rejected")


def remove_petition(actor, petition: Petition, code: str, explanation: str) -> None:
    """Take down a public petition: its page answers 410 Gone with the reason."""
    require(permissions.can_moderate_petition(actor, petition))
    explanation = _coded(code, explanation, REMOVE_REASONS)
    previous = petition.state
    petition.reason_code, petition.reason_text, petition.removed_at = code, explanation, utcnow()
    transition(petition, FLOW, S.REMOVED, actor, "petition.removed", kind="petition", stamp="updated_at",
               reason=explanation, code=code)
    petition.state_before_removal = previous
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition was removed"), "petitions/removed")


def restore_petition(actor, petition: Petition) -> None:
    """Undo a removal or a hiding (moderation's "restore")."""
    require(permissions.can_moderate_petition(actor, petition))
    if petition.state == S.REMOVED:
        back = petition.state_before_removal or S.CLOSED
        if back == S.OPEN and petition.closes_at and petition.closes_at <= utcnow():
            back = S.CLOSED
            petition.closed_at = petition.closed_at or utcnow()
        transition(petition, FLOW, back, actor, "petition.restored", kind="petition", stamp="updated_at")
        petition.removed_at = petition.state_before_removal = None
    elif petition.state == S.HIDDEN:
        transition(petition, FLOW, S.MODERATION, actor, "petition.restored", kind="petition", stamp="updated_at")
        petition.rejected_at = None
    else:
        raise InvalidTransition()  # (the flow lets a petition collecting sponsors reach the moderators too)
    petition.reason_code = petition.reason_text = None
    db.session.flush()


def set_hidden(petition: Petition, hidden: bool) -> None:
    """Registry hook for the generic moderation module: hiding a public
    petition removes it, hiding one not yet public hides it; ``False`` restores."""
    if hidden:
        if petition.state in (S.OPEN, S.CLOSED, S.REJECTED):
            petition.state_before_removal = petition.state
            petition.reason_code, petition.removed_at = "moderation", utcnow()
            petition.reason_text = petition.reason_text or str(_("Removed after a report, by the moderators."))
            transition(petition, FLOW, S.REMOVED, None, "petition.removed", kind="petition", stamp="updated_at",
                       code="moderation")
        elif petition.state in (S.DRAFT, S.SPONSORS, S.MODERATION):
            petition.reason_code, petition.rejected_at = "moderation", utcnow()
            transition(petition, FLOW, S.HIDDEN, None, "petition.hidden", kind="petition", stamp="updated_at",
                       code="moderation")
    elif petition.state == S.REMOVED:
        back = petition.state_before_removal or S.CLOSED
        transition(petition, FLOW, back, None, "petition.restored", kind="petition", stamp="updated_at")
        petition.removed_at = petition.state_before_removal = petition.reason_code = petition.reason_text = None
    elif petition.state == S.HIDDEN:
        transition(petition, FLOW, S.MODERATION, None, "petition.restored", kind="petition", stamp="updated_at")
        petition.rejected_at = petition.reason_code = petition.reason_text = None
    db.session.flush()
