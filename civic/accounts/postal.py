"""Verification by a letter code: a resident asks for a letter from their
account page, giving their postal address; an administrator downloads a PDF
batch of letters (one per page, for window envelopes) through
``civic.core.pdf``; the resident types the code on their account page and
gets a level-2 ``postal_code`` verification.

Civic has no postal addresses of its own, so the address is the one the
resident typed, kept only until the letter is in a batch (then erased). The
code is random, printed once in the PDF, stored as a keyed hash, single use,
valid for ``verification.postal_letter_days`` days.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts import verification
from civic.accounts.electors import keyed_hash
from civic.accounts.models import PostalBatch, PostalLetter, User, VerificationMethod
from civic.accounts.permissions import can_manage_accounts
from civic.core import audit, security
from civic.core.errors import ValidationError
from civic.core.permissions import require, require_contributor
from civic.core.sanitize import clean_text
from civic.core.settings import SettingSpec, get_setting, register_setting
from civic.core.time import utcnow
from civic.extensions import db

# No 0/O, 1/I/L: the code is read on paper and typed by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def register_settings() -> None:
    register_setting(SettingSpec("verification.postal_letter_days", 60, int,
                                 label=lambda: _("Letter codes: valid for (days after the batch)"),
                                 minimum=7, maximum=365))


def _normalise(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def _hash(code: str) -> str:
    return keyed_hash("postal-code", _normalise(code))


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def pending_request(user) -> PostalLetter | None:
    """The person's letter asked for and not sent yet, or None."""
    return db.session.scalar(sa.select(PostalLetter).where(PostalLetter.user_id == user.id,
                                                           PostalLetter.sent_at.is_(None)))


def open_letter(user) -> PostalLetter | None:
    """The person's letter sent, not used and not expired (a code to type)."""
    return db.session.scalar(sa.select(PostalLetter).where(
        PostalLetter.user_id == user.id, PostalLetter.sent_at.is_not(None), PostalLetter.used_at.is_(None),
        PostalLetter.expires_at > utcnow()).order_by(PostalLetter.sent_at.desc()).limit(1))


def request_letter(user: User, address: str) -> PostalLetter:
    """Ask for a letter with a code at ``address`` (kept until it is sent)."""
    require_contributor(user)
    lines = [clean_text(x) for x in (address or "").splitlines()]
    lines = [x for x in lines if x]
    errors = {}
    if len(lines) < 2 or not any(re.search(r"\b\d{5}\b", x) for x in lines):
        errors["address"] = _("Write the address on several lines, with the postcode and the town on the last one.")
    elif len(lines) > 5 or any(len(x) > 38 for x in lines):
        errors["address"] = _("Use at most 5 lines of 38 characters, as on an envelope.")
    if errors:
        raise ValidationError(fields=errors)
    if verification.is_verified(user, level=verification.LEVEL_IDENTITY):
        raise ValidationError(_("Your identity is already checked: you do not need a letter."))
    security.require_within(f"postal-request:{user.id}", 3, 30 * 86400,
                            _("You asked for several letters this month. Please wait for the last one."))
    letter = pending_request(user)
    if letter is None:
        letter = PostalLetter(user_id=user.id)
        db.session.add(letter)
    letter.address, letter.requested_at = "\n".join(lines), utcnow()
    db.session.flush()
    audit.record(user, "verification.letter_requested", "user", user.id)
    return letter


def letters_to_send() -> list[PostalLetter]:
    """Requests waiting for a batch, oldest first."""
    return list(db.session.scalars(sa.select(PostalLetter).where(
        PostalLetter.sent_at.is_(None), PostalLetter.address.is_not(None)).order_by(PostalLetter.requested_at)))


def make_batch(actor, letter_ids: list[int], render) -> tuple[PostalBatch, bytes]:
    """Put the chosen requests in a batch: a code each, the PDF made by
    ``render(rows)`` (rows of ``(letter, address lines, code, expires_at)``),
    then the addresses erased and only the codes' hashes kept."""
    require(can_manage_accounts(actor))
    wanted = set(letter_ids)
    letters = [lt for lt in letters_to_send() if lt.id in wanted]
    if not letters:
        raise ValidationError(_("Choose at least one letter to send."))
    now = utcnow()
    expires = now + timedelta(days=get_setting("verification.postal_letter_days"))
    batch = PostalBatch(created_by_id=actor.id, created_at=now, letter_count=len(letters))
    db.session.add(batch)
    db.session.flush()
    rows = []
    for lt in letters:
        code = new_code()
        rows.append((lt, lt.address.split("\n"), code, expires))
        lt.code_hash, lt.batch_id, lt.sent_at, lt.expires_at = _hash(code), batch.id, now, expires
    pdf = render(rows)
    for lt in letters:
        lt.address = None  # sent: the address is no longer needed
    db.session.flush()
    audit.record(actor, "verification.letters_batch", "postal_batch", batch.id, letters=len(letters))
    return batch, pdf


def redeem_code(user: User, code: str):
    """The resident types the code of their letter: level-2 verification."""
    require_contributor(user)
    if not _normalise(code):
        raise ValidationError(fields={"code": _("Type the code printed on the letter.")})
    security.require_within(f"postal-code:{user.id}", 5, 3600,
                            _("Too many attempts. Try again in an hour, or visit a town-hall counter."))
    letter = db.session.scalar(sa.select(PostalLetter).where(PostalLetter.user_id == user.id,
                                                             PostalLetter.code_hash == _hash(code)))
    if letter is None:
        raise ValidationError(fields={"code": _("This is not the code of your letter. Check the letters and "
                                                "digits (there is no O, I or L).")})
    if letter.used_at is not None:
        raise ValidationError(fields={"code": _("This code was already used.")})
    if letter.expires_at is None or letter.expires_at <= utcnow():
        raise ValidationError(fields={"code": _("This code has expired. Ask for a new letter below.")})
    letter.used_at = utcnow()
    v = verification.record(user, VerificationMethod.POSTAL_CODE)
    audit.record(user, "verification.postal_code", "user", user.id)
    return v



def erase_letters(user) -> None:
    """Account deleted: its letter requests (and any address typed) go."""
    db.session.execute(sa.delete(PostalLetter).where(PostalLetter.user_id == user.id))


def export_letters(user) -> list[dict]:
    """For "my data": the letters asked for, and the address while it is kept."""
    return [{"requested_at": lt.requested_at.isoformat() + "Z", "address": lt.address,
             "sent_at": lt.sent_at.isoformat() + "Z" if lt.sent_at else None,
             "used_at": lt.used_at.isoformat() + "Z" if lt.used_at else None}
            for lt in db.session.scalars(sa.select(PostalLetter).where(PostalLetter.user_id == user.id))]
