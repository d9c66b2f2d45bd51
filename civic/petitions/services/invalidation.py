"""The invalidation tool: moderators preview which signatures criteria
match, then start a run that a job carries out in batches (audited)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit
from civic.core.errors import ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import require
from civic.core.sanitize import clean_text
from civic.extensions import db
from civic.petitions import jobs, permissions
from civic.petitions.models import InvalidationRun, Signature
from civic.petitions.services.criteria import matching_ids


def preview_invalidation(actor, crit: dict) -> dict:
    """How many signatures the criteria match, per petition, with a sample (masked)."""
    require(permissions.can_invalidate_signatures(actor))
    ids = matching_ids(crit)
    sample = db.session.execute(sa.select(Signature.id, Signature.petition_id, Signature.email, Signature.ip,
                                          Signature.created_at, Signature.state)
                                .where(Signature.id.in_(ids[:20])).order_by(Signature.id)).all() if ids else []
    return {"count": len(ids), "sample": sample}


def start_invalidation(actor, crit: dict, reason: str) -> InvalidationRun:
    """Record the run (audited) and hand it to a job that invalidates in batches."""
    require(permissions.can_invalidate_signatures(actor))
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ValidationError(fields={"reason": _("Say why these signatures are invalid (kept in the audit log).")})
    run = InvalidationRun(created_by_id=actor.id, criteria=crit, reason=reason, previewed=len(matching_ids(crit)))
    db.session.add(run)
    db.session.flush()
    audit.record(actor, "petition.invalidation_started", "petition", crit.get("petition_id"), reason=reason,
                 run_id=run.id, criteria=crit, matches=run.previewed)
    enqueue(jobs.run_invalidation, run.id)
    return run


