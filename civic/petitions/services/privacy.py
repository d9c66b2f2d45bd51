"""Personal data: what a person's export holds, and what erasing their
account removes (the signatures still count). The retention job that
anonymises signers after a petition ends is in :mod:`civic.petitions.jobs`."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core.emails import canonical_email
from civic.core.export import iso
from civic.extensions import db
from civic.petitions.models import Petition, Signature
from civic.petitions.services.signing import my_signatures


def export_for(user) -> dict:
    """A person's signatures and petitions, for their personal-data export."""
    sigs = my_signatures(user)
    created = db.session.scalars(sa.select(Petition).where(Petition.creator_id == user.id)).all()
    return {
        "signatures": [{"petition": s.petition.title, "state": s.state.value, "name": s.name, "email": s.email,
                        "postcode": s.postcode, "signed_at": iso(s.created_at),
                        "updates_by_email": s.notify} for s in sigs],
        "petitions_created": [{"id": p.id, "title": p.title, "state": p.state.value,
                               "created_at": iso(p.created_at)} for p in created],
    }


def erase_for(user) -> None:
    """Account deleted: the signatures still count, the personal data goes."""
    canonical = canonical_email(user.email or "")
    db.session.execute(sa.update(Signature).where(
        sa.or_(Signature.user_id == user.id, Signature.canonical_email == canonical)).values(
        name=None, email=None, canonical_email=None, email_domain=None, postcode=None, ip=None, user_id=None,
        nonce=None, notify=False, mail_pending=False, anonymised=True), execution_options={"synchronize_session": False})


