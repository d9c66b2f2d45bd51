"""Consents: what a person explicitly agreed to receive, with its date and wording.

A module registers a consent it needs (``register_consent("newsletter",
wording)``); accounts asks for every registered consent at registration and
on the account page, unticked by default. Each consent given is a row that
keeps the exact sentence the person saw, in their language, and when; a
withdrawal dates that row and is never undone in place: consenting again
adds a new row, so the history stays whole (the GDPR asks a controller to
show when and how consent was given).

A one-click unsubscribe from the mail topic of the same name (RFC 8058,
``core.outbox.opt_out``) withdraws the consent too, and giving consent again
lifts that opt-out: one switch, whichever way the person uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import outbox, people
from civic.core.models import MailOptOut
from civic.core.permissions import require_login
from civic.core.time import utcnow
from civic.extensions import db


class Consent(db.Model):
    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(40))
    # The sentence the person ticked, as displayed to them (their language).
    wording: Mapped[str] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(8))
    given_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # "account" (the account page) or "mail" (a one-click unsubscribe link).
    withdrawn_via: Mapped[str | None] = mapped_column(sa.String(20))
    __table_args__ = (sa.Index("ix_consent_key_user", "key", "user_id"),)


@dataclass(frozen=True)
class ConsentSpec:
    key: str
    wording: Callable[[], str]      # the sentence next to the checkbox, translated when called
    description: Callable[[], str]  # what it means in practice, shown under it


_SPECS: dict[str, ConsentSpec] = {}


def register_consent(key: str, wording: Callable[[], str], description: Callable[[], str]) -> None:
    """Declare a consent a module asks for (idempotent)."""
    _SPECS[key] = ConsentSpec(key, wording, description)
    outbox.register_opt_out_listener(_withdrawn_by_mail)


def specs() -> list[ConsentSpec]:
    return [_SPECS[k] for k in sorted(_SPECS)]


def spec(key: str) -> ConsentSpec:
    return _SPECS[key]


def current(user, key: str) -> Consent | None:
    """The consent in force for ``key``, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Consent).where(Consent.user_id == user.id, Consent.key == key,
                                                      Consent.withdrawn_at.is_(None)).limit(1))


def has_consent(user, key: str) -> bool:
    return current(user, key) is not None


def give(user, key: str) -> Consent:
    """Record that ``user`` consents to ``key``, with the wording they saw (idempotent)."""
    require_login(user)
    existing = current(user, key)
    if existing is not None:
        return existing
    row = Consent(user_id=user.id, key=key, wording=str(_SPECS[key].wording()), locale=str(get_locale() or "en"))
    db.session.add(row)
    if user.email:
        # Consenting again lifts an earlier one-click unsubscribe from the same topic.
        db.session.execute(sa.delete(MailOptOut).where(MailOptOut.email == user.email.lower(), MailOptOut.topic == key))
    db.session.flush()
    return row


def withdraw(user, key: str, *, via: str = "account") -> bool:
    """Withdraw the consent in force; True when there was one."""
    require_login(user)
    return _withdraw_user(user.id, key, via)


def _withdraw_user(user_id: int, key: str, via: str) -> bool:
    done = db.session.execute(sa.update(Consent).where(
        Consent.user_id == user_id, Consent.key == key, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_via=via)).rowcount
    db.session.flush()
    return bool(done)


def consenting(key: str):
    """A select of the ids of the users whose consent to ``key`` is in force
    (to join or filter on: it never loads the audience)."""
    return sa.select(Consent.user_id).where(Consent.key == key, Consent.withdrawn_at.is_(None))


def history(user) -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).where(Consent.user_id == user.id)
                                   .order_by(Consent.given_at, Consent.id)))


def export(user) -> list[dict]:
    """The person's consents, given and withdrawn, for "my data"."""
    return [{"consent": c.key, "wording": c.wording, "given_at": c.given_at, "withdrawn_at": c.withdrawn_at,
             "withdrawn_via": c.withdrawn_via} for c in history(user)]


def erase(user) -> None:
    db.session.execute(sa.delete(Consent).where(Consent.user_id == user.id))


def _withdrawn_by_mail(email: str, topic: str) -> None:
    if topic not in _SPECS and topic != "*":
        return
    User = people.user_model()
    user_id = db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.lower()))
    if user_id is None:
        return
    for key in (_SPECS if topic == "*" else [topic]):
        _withdraw_user(user_id, key, "mail")
