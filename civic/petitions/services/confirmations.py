"""Confirmation mails of online signatures: the signed links they carry and
the batches the mail job queues. Nothing here enqueues a job, so
:mod:`civic.petitions.jobs` can use it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from civic.core.errors import ValidationError
from civic.core.outbox import Mail, queue_mails
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions.models import Petition, Signature, SignatureState

MAX_CONFIRMATION_MAILS = 5
# The Redis flag that coalesces the mail job of a burst (see signing.trigger_signature_mails).
MAIL_TRIGGER_KEY = "civic:petitions:signature-mails"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="civic-petition-signature")


def signature_token(sig: Signature) -> str:
    """The token of the mail's confirm and withdraw links."""
    return _serializer().dumps([sig.id, sig.nonce])


def signature_from_token(token: str) -> Signature:
    """The signature a mailed link names (ValidationError if forged or outdated)."""
    try:
        sid, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ValidationError(_("This link is not valid. Check that you copied all of it.")) from None
    sig = db.session.get(Signature, sid)
    if sig is None or not sig.nonce or sig.nonce != nonce:
        raise ValidationError(_("This link is no longer valid."))
    return sig


def queue_signature_mails(ids=None, limit: int = 200, *, enqueue: bool = True) -> tuple[int, list[int]]:
    """Claim up to ``limit`` signatures waiting for their confirmation mail
    and queue the mails; returns ``(claimed, outbox_ids)``.

    Rows are claimed with SKIP LOCKED on PostgreSQL; the dedupe key
    (signature, mail number) makes a replay harmless. A burst of thousands of
    signatures per minute is mailed in batches: one read, one update and one
    outbox insert per batch. With ``enqueue=False`` the caller delivers the
    returned ids after its commit (one queued job less per batch).
    """
    t = Signature.__table__
    stmt = sa.select(t.c.id, t.c.petition_id, t.c.state, t.c.sponsor, t.c.name, t.c.email, t.c.locale, t.c.nonce,
                     t.c.mails_sent).where(t.c.mail_pending)  # bare: the partial index (see tally_batch)
    if ids:
        stmt = stmt.where(t.c.id.in_(list(ids)))
    stmt = stmt.order_by(t.c.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = db.session.execute(stmt).all()
    if not rows:
        return 0, []
    due = [r for r in rows if r.mails_sent < MAX_CONFIRMATION_MAILS and r.email]
    db.session.execute(t.update().where(t.c.id.in_([r.id for r in rows])).values(mail_pending=False))
    if due:
        db.session.execute(t.update().where(t.c.id.in_([r.id for r in due]))
                           .values(mails_sent=t.c.mails_sent + 1))
    # Only what the mail shows: loading whole Petition objects (and their
    # relationships) cost more per batch than the mails' queries.
    petitions = {p.id: p for p in db.session.execute(sa.select(Petition.id, Petition.title).where(
        Petition.id.in_({r.petition_id for r in due})))}
    mail_ids = queue_mails([signature_mail(r, petitions[r.petition_id]) for r in due], enqueue=enqueue)
    return len(rows), mail_ids


def signature_mail(sig, petition) -> Mail:
    """The confirmation mail of ``sig`` (a Signature or a row with its
    columns), numbered by the mails already sent for the dedupe key."""
    token = signature_token(sig)
    ctx = {"signature": sig, "petition": petition, "name": sig.name,
           "petition_url": absolute_url("petitions.detail", petition_id=petition.id),
           "confirm_url": absolute_url("petitions.confirm", token=token),
           "withdraw_url": absolute_url("petitions.withdraw", token=token)}
    if SignatureState(sig.state) == SignatureState.VALIDATED:
        subject, template = (lambda: _("You have already signed this petition")), "petitions/already_signed"
    else:
        subject, template = (lambda: _("Confirm your signature")), "petitions/confirm_signature"
    return Mail(sig.email, subject, template, ctx, locale=sig.locale, dedupe_key=f"psig:{sig.id}:{sig.mails_sent + 1}")


