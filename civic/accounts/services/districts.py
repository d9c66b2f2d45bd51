"""Districts and resident verification: postcodes, the census list (only
salted fingerprints are kept), verification in person, revocation."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts import verification
from civic.accounts.models import (
    CensusBatch,
    CensusRecord,
    District,
    DistrictPostcode,
    Role,
    User,
    Verification,
    VerificationMethod,
)
from civic.accounts.permissions import can_manage_accounts
from civic.core import audit, security
from civic.core.errors import NotFound, RateLimited, ValidationError
from civic.core.permissions import require, require_login, require_role
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.extensions import db

# --- districts ------------------------------------------------------------------

_POSTCODE = re.compile(r"^[0-9A-Za-z \-]{2,12}$")


def _parse_postcodes(raw: str) -> list[str]:
    codes = [normalise_postcode(c) for c in re.split(r"[,;\s]+", raw or "") if c.strip()]
    return list(dict.fromkeys(codes))


def normalise_postcode(value: str) -> str:
    return re.sub(r"\s+", "", (value or "").upper())


def save_district(actor: User, district: District | None, name: str, code: str, postcodes: str) -> District:
    """Create or update a district and its postcodes (admins only)."""
    require_login(actor)
    require(can_manage_accounts(actor))
    name, code = clean_text(name), clean_text(code).upper()
    errors = {}
    if not name:
        errors["name"] = _("Enter the district's name.")
    if not re.fullmatch(r"[A-Z0-9\-]{1,20}", code or ""):
        errors["code"] = _("Use 1 to 20 letters, digits or dashes.")
    elif db.session.scalar(sa.select(District.id).where(District.code == code, District.id != (district.id if district else -1))):
        errors["code"] = _("Another district already uses this code.")
    codes = _parse_postcodes(postcodes)
    bad = [c for c in codes if not _POSTCODE.match(c)]
    if bad:
        errors["postcodes"] = _("These postcodes are not valid: %(codes)s", codes=", ".join(bad))
    else:
        taken = db.session.scalars(sa.select(DistrictPostcode).where(
            DistrictPostcode.postcode.in_(codes),
            DistrictPostcode.district_id != (district.id if district else -1))).all()
        if taken:
            errors["postcodes"] = _("Already in another district: %(codes)s", codes=", ".join(t.postcode for t in taken))
    if errors:
        raise ValidationError(fields=errors)
    created = district is None
    if created:
        district = District(name=name, code=code)
        db.session.add(district)
    else:
        district.name, district.code = name, code
    district.postcodes = [p for p in district.postcodes if p.postcode in codes] + [
        DistrictPostcode(postcode=c) for c in codes if c not in district.postcode_list]
    db.session.flush()
    audit.record(actor, "district.created" if created else "district.updated", "district", district.id,
                 name=name, code=code)
    return district


def district_for_postcode(postcode: str) -> District | None:
    row = db.session.get(DistrictPostcode, normalise_postcode(postcode))
    return row.district if row else None


def all_districts() -> list[District]:
    return db.session.scalars(sa.select(District).order_by(District.name)).all()


# --- verification: census list ---------------------------------------------------

CENSUS_COLUMNS = ("last_name", "first_name", "birth_date", "postcode", "district_code")


def _norm(value: str) -> str:
    value = unicodedata.normalize("NFKD", value or "")
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]+", " ", value).strip()


def census_fingerprint(salt: str, last_name: str, first_name: str, birth_date: date, postcode: str) -> str:
    """HMAC-SHA256 of the normalised identifying fields with the batch's salt.

    Accents, case and punctuation are ignored so "Éloïse d'Arc" matches
    "ELOISE D ARC"; only this hash is stored, never the fields themselves.
    """
    msg = "|".join([_norm(last_name), _norm(first_name), birth_date.isoformat(), normalise_postcode(postcode)])
    return hmac.new(salt.encode(), msg.encode(), hashlib.sha256).hexdigest()


def _parse_date(value: str) -> date | None:
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            from datetime import datetime as _dt

            return _dt.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def upload_census(actor: User, stream: io.BufferedIOBase | bytes, filename: str) -> CensusBatch:
    """Import a census CSV (columns: last_name, first_name, birth_date,
    postcode, district_code). Rejects the whole file, with line numbers, if
    any row is invalid: a half-imported list would verify some people only."""
    require_login(actor)
    require(can_manage_accounts(actor))
    raw = stream if isinstance(stream, bytes) else stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(fields={"file": _("The file must be UTF-8 encoded CSV.")}) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CENSUS_COLUMNS if c not in header]
    if missing:
        raise ValidationError(fields={"file": _("Missing columns: %(cols)s", cols=", ".join(missing))})
    reader.fieldnames = header
    districts = {d.code: d.id for d in all_districts()}
    salt = secrets.token_hex(32)
    batch = CensusBatch(filename=clean_text(filename)[:200] or "census.csv", salt=salt, uploaded_by_id=actor.id)
    problems, fingerprints = [], {}
    for lineno, row in enumerate(reader, start=2):
        born = _parse_date(row.get("birth_date"))
        code = (row.get("district_code") or "").strip().upper()
        if not (row.get("last_name") or "").strip() or not (row.get("first_name") or "").strip():
            problems.append(_("line %(n)d: name missing", n=lineno))
        elif born is None:
            problems.append(_("line %(n)d: birth date must be YYYY-MM-DD", n=lineno))
        elif code not in districts:
            problems.append(_("line %(n)d: unknown district code %(code)s", n=lineno, code=code))
        else:
            fp = census_fingerprint(salt, row["last_name"], row["first_name"], born, row.get("postcode") or "")
            fingerprints[fp] = districts[code]
        if len(problems) >= 10:
            break
    if problems:
        raise ValidationError(fields={"file": "; ".join(problems)})
    if not fingerprints:
        raise ValidationError(fields={"file": _("The file has no rows.")})
    batch.record_count = len(fingerprints)
    db.session.add(batch)
    db.session.flush()
    db.session.execute(sa.insert(CensusRecord), [
        {"batch_id": batch.id, "district_id": d, "fingerprint": fp} for fp, d in fingerprints.items()])
    audit.record(actor, "census.uploaded", "census_batch", batch.id, rows=len(fingerprints), filename=batch.filename)
    db.session.flush()
    return batch


def verify_with_census(user: User, last_name: str, first_name: str, birth_date: date | None, postcode: str) -> Verification:
    """Verify ``user`` as a resident if the data matches an unused census record."""
    require_login(user)
    allowed, retry = security.hit(f"census:{user.id}", 5, 3600)
    if not allowed:
        raise RateLimited(_("Too many attempts. Try again in an hour, or visit a town-hall counter."), retry_after=retry)
    if user.active_verification is not None:
        raise ValidationError(_("Your account is already verified."))
    if birth_date is None:
        raise ValidationError(fields={"birth_date": _("Enter your date of birth.")})
    batches = db.session.scalars(sa.select(CensusBatch).where(CensusBatch.active.is_(True))).all()
    for batch in batches:
        fp = census_fingerprint(batch.salt, last_name, first_name, birth_date, postcode)
        record = db.session.scalar(sa.select(CensusRecord).where(
            CensusRecord.batch_id == batch.id, CensusRecord.fingerprint == fp))
        if record is None:
            continue
        # Conditional update: two accounts racing for one record, one wins.
        claimed = db.session.execute(
            sa.update(CensusRecord).where(CensusRecord.id == record.id, CensusRecord.used_at.is_(None))
            .values(used_at=utcnow(), used_by_id=user.id)).rowcount
        if not claimed:
            raise ValidationError(_("These details have already been used to verify another account. "
                                    "If this is a mistake, please visit a town-hall counter."))
        v = verification.record(user, VerificationMethod.CENSUS, district_id=record.district_id,
                                census_record_id=record.id)
        audit.record(user, "verification.census", "user", user.id, district_id=record.district_id)
        return v
    raise ValidationError(_("We could not find these details in the list of residents. Check the spelling and "
                            "date, or visit a town-hall counter to be verified in person."))


def verify_in_person(mediator: User, user: User, district_id: int, note: str = "") -> Verification:
    """A mediator verifies someone at a counter after seeing their papers."""
    require_role(mediator, Role.MEDIATOR, district_id)
    if db.session.get(District, district_id) is None:
        raise ValidationError(fields={"district_id": _("Choose a district from the list.")})
    if user.deleted_at is not None:
        raise ValidationError(_("This account has been deleted."))
    if user.active_verification is not None:
        raise ValidationError(_("This account is already verified."))
    # A roll check already recorded (without district) gets the district.
    v = verification.record(user, VerificationMethod.IN_PERSON, verified_by=mediator, district_id=district_id)
    audit.record(mediator, "verification.in_person", "user", user.id, reason=clean_text(note) or None,
                 district_id=district_id)
    return v


def revoke_verification(actor: User, user: User, reason: str) -> None:
    require_login(actor)
    v = user.active_verification
    if v is None:
        raise NotFound()
    if actor.id != user.id:
        require_role(actor, Role.MEDIATOR, v.district_id)
    reason = clean_text(reason)
    if not reason and actor.id != user.id:
        raise ValidationError(fields={"reason": _("Say why the verification is revoked.")})
    v.revoked_at, v.revoked_by_id, v.revoke_reason = utcnow(), actor.id, reason or None
    db.session.flush()
    audit.record(actor, "verification.revoked", "user", user.id, reason=reason or None)


