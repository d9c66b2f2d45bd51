"""Thresholds: when the tally's count crosses the response or debate
threshold, record it once and tell the officials concerned."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _

import civic.petitions.services.legal as legal
from civic.core import audit, events
from civic.core.outbox import queue_mail
from civic.core.permissions import OFFICIAL
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.petitions import settings as psettings
from civic.petitions.models import Petition, PetitionState
from civic.petitions.services.recipients import people_with_role

S = PetitionState


def check_thresholds(petition: Petition, now: datetime | None = None) -> None:
    """Record a threshold crossing once: its time, the response due date, an
    audit entry, and a mail to the officials concerned."""
    now = now or utcnow()
    if petition.state not in (S.OPEN, S.CLOSED):
        return
    crossed = []
    if petition.response_threshold and petition.response_threshold_at is None \
            and petition.signature_count >= petition.response_threshold:
        petition.response_threshold_at = now
        if petition.legal_kind is not None:
            # A legal request goes to the mayor; its answer is due at the council's first session after receipt.
            legal.transmit(petition, now)
        else:
            petition.response_due_at = now + timedelta(days=psettings.load()["response_days"])
        crossed.append("response")
    if petition.debate_threshold and petition.debate_threshold_at is None \
            and petition.signature_count >= petition.debate_threshold:
        petition.debate_threshold_at = now
        crossed.append("debate")
    for which in crossed:
        audit.record(None, f"petition.threshold_{which}", "petition", petition.id, count=petition.signature_count)
        events.emit("petition", petition.id, "threshold_reached", data={"threshold": which})
        for official in people_with_role(OFFICIAL, petition.district_id):
            queue_mail(official.email, lambda: _("A petition has crossed a threshold"), "petitions/threshold",
                       {"petition": petition, "which": which,
                        "url": absolute_url("petitions.detail", petition_id=petition.id),
                        "respond_url": absolute_url("petitions.respond", petition_id=petition.id)},
                       user=official, dedupe_key=f"pthr:{petition.id}:{which}:{official.id}")


