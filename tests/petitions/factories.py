"""Petitions and signatures for tests, in a given state.

Rows are built directly for set-up (a petition "open ten days ago" cannot be
reached through the services without waiting); the behaviour under test goes
through services, views and the API. The ``pf`` fixture is this module.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions.models import Petition, PetitionState, Signature, SignatureState

_seq = itertools.count(1)


def petition(state: str = "open", creator=None, district=None, title: str | None = None,
             background: str = "Parce que le quartier en a besoin depuis longtemps.", **kw) -> Petition:
    """A committed petition in ``state`` with the dates and thresholds that
    state implies (open ten days ago, closing in 170; thresholds 10,000 and
    100,000); any column can be given in ``kw``."""
    n = next(_seq)
    now = utcnow()
    p = Petition(title=title or f"Demande numéro {n}", background=background, details=kw.pop("details", ""),
                 topic=kw.pop("topic", "other"), district_id=getattr(district, "id", district),
                 creator_id=getattr(creator, "id", creator), state=PetitionState(state),
                 sponsor_token=secrets.token_urlsafe(18))
    if state in ("open", "closed", "removed"):
        p.opened_at = now - timedelta(days=10)
        p.closes_at = now + timedelta(days=170)
        p.response_threshold = kw.pop("response_threshold", 10000)
        p.debate_threshold = kw.pop("debate_threshold", 100000)
    if state == "closed":
        p.closed_at = now - timedelta(days=1)
    if state == "sponsors":
        p.submitted_at = now
    if state == "moderation":
        p.submitted_at, p.moderation_at = now - timedelta(days=2), now - timedelta(days=1)
    for k, v in kw.items():
        setattr(p, k, v)
    db.session.add(p)
    db.session.commit()
    return p

def signatures(petition, n: int, *, state: str = "validated", district=None, source: str = "online",
               prefix: str = "s", **kw) -> list[int]:
    """``n`` committed signatures of ``petition`` (validated ones are dirty,
    so the next tally counts them); returns their ids. Paper ones have no email."""
    ids = []
    for i in range(n):
        email = None if source == "paper" else f"{prefix}{next(_seq)}-{i}@example.org"
        s = Signature(petition_id=petition.id, state=SignatureState(state), source=source, name=f"Signer {i}",
                      email=email, canonical_email=email, email_domain="example.org" if email else None,
                      postcode="31000", district_id=getattr(district, "id", district), ip="192.0.2.1",
                      nonce=secrets.token_hex(6), dirty=state == "validated", **kw)
        db.session.add(s)
        db.session.flush()
        ids.append(s.id)
    db.session.commit()
    return ids


def signature(petition, **kw) -> Signature:
    """One committed signature of ``petition`` (validated, online), as an object."""
    [sid] = signatures(petition, 1, **kw)
    return db.session.get(Signature, sid)
