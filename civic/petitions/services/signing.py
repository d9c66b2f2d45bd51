"""Signing: online signatures (the hot path of a surge), one-click signatures
of residents with an account, confirmation, withdrawal, and paper signatures
entered by mediators.

The signing request inserts one row and never writes the petition row; the
tally (:mod:`civic.petitions.tally`) counts. Confirmation mails are queued by
:mod:`civic.petitions.jobs` from the rows waiting for theirs.
"""

from __future__ import annotations

import secrets
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

import civic.petitions.services.legal as legal
from civic.accounts.models import DistrictPostcode
from civic.accounts.services import normalise_postcode
from civic.accounts.verification import requirement_refusal
from civic.core import audit, follows, security
from civic.core.aftercommit import after_commit
from civic.core.emails import canonical_email, is_valid_email, normalise_email
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.jobs import dispatch, enqueue_batched, job_path
from civic.core.outbox import queue_mail
from civic.core.permissions import MODERATOR, is_user, require, require_contributor, require_login
from civic.core.redis import redis_client
from civic.core.sanitize import clean_text
from civic.core.time import local_day, today, utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions import jobs, permissions
from civic.petitions import settings as psettings
from civic.petitions.models import FLOW, Petition, PetitionState, Signature, SignatureSource, SignatureState
from civic.petitions.services.checks import POSTCODE as _POSTCODE
from civic.petitions.services.checks import check_text
from civic.petitions.services.checks import district_id_for as _district_id_for
from civic.petitions.services.confirmations import MAIL_TRIGGER_KEY, MAX_CONFIRMATION_MAILS, signature_from_token
from civic.petitions.services.recipients import people_with_role

S = PetitionState


def _mark_dirty(sig: Signature) -> None:
    # Always written, even if it already looked dirty when loaded: the tally may
    # have cleared it since, and this change must be folded in again.
    sig.dirty = True
    flag_modified(sig, "dirty")


def _check_requirement(actor, petition_id: int) -> None:
    """The verification the petition's moderators may ask of signers (none by default)."""
    refusal = requirement_refusal(actor, "petition", petition_id, "sign")
    if refusal is not None:
        require(refusal)


def _check_can_sign(petition: Petition | None, values: dict, sponsor_token: str | None) -> bool:
    """Raise unless ``petition`` takes signatures now; returns whether it is a sponsor signature."""
    if petition is None:
        raise NotFound()
    if sponsor_token is not None:
        if not secrets.compare_digest(sponsor_token, petition.sponsor_token):
            raise NotFound()
        if petition.state in (S.SPONSORS, S.MODERATION):
            sponsors = db.session.scalar(sa.select(sa.func.count()).select_from(Signature).where(
                Signature.petition_id == petition.id, Signature.sponsor.is_(True),
                Signature.state.in_([SignatureState.PENDING, SignatureState.VALIDATED])))
            if sponsors >= values["max_before_moderation"]:
                raise InvalidTransition(_("This petition has all the sponsors it can take before moderation. "
                                          "You can sign it once it is published."))
            return True
        if petition.state != S.OPEN:
            raise InvalidTransition(_("This petition does not take signatures."))
        return False
    if petition.state != S.OPEN:
        raise InvalidTransition(_("This petition does not take signatures."))
    if values["signing_paused"]:
        raise InvalidTransition(_("Signing is paused on the whole site for now. Deadlines are extended by the "
                                  "paused days."))
    return False


def _over_limits(values: dict, petition_id: int, ip: str, domain: str) -> bool:
    """Count this signature against the per-IP and per-domain limits (one
    round trip to Redis); True if over one. Addresses in the exempt networks
    (the town hall's public computers, a mediator's laptop) skip the IP limit;
    large email providers skip the domain limit."""
    hits = []
    if not psettings.ip_exempt(values, ip):
        hits.append((f"psig-ip:{petition_id}:{ip}", values["ip_limit"], 3600))
    if domain and domain not in psettings.exempt_domains(values):
        hits.append((f"psig-dom:{petition_id}:{domain}", values["domain_limit"], 3600))
    return bool(hits) and not all(ok for ok, _retry in security.hit_many(hits))


_INSERT_SQL: dict = {}


def _insert_signature(row: dict) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: one statement, no
    savepoint, on PostgreSQL and SQLite alike. None if the person already signed.

    Written as a typed text statement built once: SQLAlchemy's dialect inserts
    with ON CONFLICT are compiled again on every execution, which on this hot
    path cost more than the database round trip.
    """
    stmt = _INSERT_SQL.get(tuple(row))
    if stmt is None:
        table = Signature.__table__
        cols = [table.c[name] for name in row]
        stmt = sa.text(
            f"INSERT INTO {table.name} ({', '.join(c.name for c in cols)}) "
            f"VALUES ({', '.join(':' + c.name for c in cols)}) "
            "ON CONFLICT (petition_id, canonical_email) DO NOTHING RETURNING id"
        ).bindparams(*[sa.bindparam(c.name, type_=c.type) for c in cols]).columns(table.c.id)
        _INSERT_SQL[tuple(row)] = stmt
    # Core statements on the session's connection (same transaction): the
    # ORM's execute path adds nothing here but cost.
    return db.session.connection().execute(stmt, row).scalar()


_SIGN_SETTINGS = ("signing_paused", "max_before_moderation", "ip_limit", "domain_limit", "exempt_domains",
                  "exempt_networks")
_SIGN_LOOKUP: list = []


def _sign_lookup() -> sa.Select:
    """The signing path's one read: the petition's columns the checks need, the
    district of the postcode and the settings (built once, run with binds)."""
    if not _SIGN_LOOKUP:
        t = Petition.__table__
        _SIGN_LOOKUP.append(sa.select(
            t.c.id, t.c.state, t.c.sponsor_token, t.c.legal_kind,
            sa.select(DistrictPostcode.district_id).where(DistrictPostcode.postcode == sa.bindparam("postcode"))
            .scalar_subquery().label("district_id"), *psettings.subqueries(*_SIGN_SETTINGS))
            .where(t.c.id == sa.bindparam("pid")))
    return _SIGN_LOOKUP[0]


def sign_petition(actor, petition_id: int, *, name: str, email: str, postcode: str, attest: bool,
                  notify: bool = False, ip: str = "0.0.0.0", locale: str = "en",
                  sponsor_token: str | None = None) -> None:
    """Record a signature and have a confirmation mail sent.

    The request inserts one row and returns: it never writes the petition row
    (the tally job counts). If the address already signed, the existing row
    gets its mail again (at most 5 mails per signature) and the answer is the
    same, so the form never tells who signed. Over a rate limit the signature
    is accepted and mailed but shadow-flagged: it is never counted.
    """
    name, email_n, postcode_n = clean_text(name), normalise_email(email), normalise_postcode(postcode)
    errors = {}
    # Written out rather than check_text: on the hot path no message is translated unless needed.
    if not name:
        errors["name"] = _("Enter your name.")
    elif len(name) > 100:
        errors["name"] = _("Use at most %(n)d characters.", n=100)
    if not email_n or not is_valid_email(email_n):
        errors["email"] = _("Enter an email address like name@example.org.")
    if not _POSTCODE.match(postcode_n):
        errors["postcode"] = _("Enter your postcode, for example 31000.")
    if not attest:
        errors["attest"] = _("Tick the box to confirm you may sign.")
    if errors:
        raise ValidationError(fields=errors)
    # The hot path of a surge: one statement reads the petition, the district
    # of the postcode and the settings the checks need.
    found = db.session.connection().execute(_sign_lookup(), {"pid": petition_id, "postcode": postcode_n}).first()
    if found is None:
        raise NotFound()
    petition, district_id = found, found.district_id
    if found.legal_kind is not None:
        # A request to the council (L1112-16): only a verified elector signs, with their account.
        legal.require_elector(actor)
        raise InvalidTransition(_("Sign this request to the council from your account."))
    values = psettings.from_row(found, *_SIGN_SETTINGS)
    sponsor = _check_can_sign(petition, values, sponsor_token)
    _check_requirement(actor, petition.id)
    canonical = canonical_email(email_n)
    domain = canonical.rpartition("@")[2]
    flagged = _over_limits(values, petition.id, ip, domain)
    row = {"petition_id": petition.id, "state": SignatureState.PENDING.value, "source": SignatureSource.ONLINE.value,
           "sponsor": sponsor, "name": name, "email": email_n, "canonical_email": canonical, "email_domain": domain,
           "postcode": postcode_n, "district_id": district_id, "ip": ip,
           "user_id": actor.id if is_user(actor) else None, "notify": bool(notify),
           "locale": locale if locale in ("en", "fr") else "en", "nonce": secrets.token_hex(6),
           "created_at": utcnow(), "flagged": flagged, "mail_pending": True, "mails_sent": 0,
           "counted": False, "dirty": False, "anonymised": False}
    sig_id = _insert_signature(row)
    if is_user(actor) and notify:
        # Following brings news: a signer who declined news on the same form does not follow.
        follows.auto_follow(actor, "petition", petition.id)
    if sig_id is None:
        _sign_again(petition, canonical, row)
        return
    _trigger_signature_mails(sig_id)


def _sign_again(petition: Petition, canonical: str, row: dict) -> None:
    sig = db.session.scalar(sa.select(Signature).where(Signature.petition_id == petition.id,
                                                       Signature.canonical_email == canonical))
    if sig is None or sig.state == SignatureState.INVALIDATED or sig.mails_sent >= MAX_CONFIRMATION_MAILS:
        return
    if sig.state == SignatureState.WITHDRAWN:
        # Signing after withdrawing starts over: a new confirmation, new links.
        sig.state, sig.withdrawn_at, sig.nonce = SignatureState.PENDING, None, secrets.token_hex(6)
        sig.name, sig.postcode, sig.district_id, sig.notify = row["name"], row["postcode"], row["district_id"], row["notify"]
        _mark_dirty(sig)
    sig.mail_pending = True
    db.session.flush()
    _trigger_signature_mails(sig.id)


def sign_as_user(actor, petition_id: int, *, notify: bool = False, ip: str = "0.0.0.0",
                 sponsor_token: str | None = None) -> Signature:
    """One-click signature of a logged-in resident with a confirmed address:
    validated at once (the address was confirmed with the account)."""
    require_contributor(actor)
    values = psettings.load()
    petition = db.session.get(Petition, petition_id)
    sponsor = _check_can_sign(petition, values, sponsor_token)
    _check_requirement(actor, petition.id)
    # A request to the council (L1112-16): the signer must be an elector on
    # the roll in force, and signs one request per authority and quarter.
    elector = legal.require_elector(actor) if petition.legal_kind is not None else None
    canonical = canonical_email(actor.email)
    existing = db.session.scalar(sa.select(Signature).where(Signature.petition_id == petition.id,
                                                            Signature.canonical_email == canonical))
    if existing is not None:
        if existing.state == SignatureState.INVALIDATED:
            raise InvalidTransition(_("Your signature on this petition was cancelled by the moderators."))
        if existing.state != SignatureState.VALIDATED:
            if elector is not None:
                legal.claim_quarter(petition, elector, existing)
            existing.state, existing.validated_at, existing.withdrawn_at = SignatureState.VALIDATED, utcnow(), None
            existing.user_id, existing.notify = actor.id, bool(notify)
            existing.nonce = existing.nonce or secrets.token_hex(6)
            _mark_dirty(existing)
            db.session.flush()
            _after_validation(existing)
        return existing
    domain = canonical.rpartition("@")[2]
    district_id = actor.verified_district_id() or actor.district_id
    sig = Signature(petition_id=petition.id, state=SignatureState.VALIDATED, sponsor=sponsor, name=actor.display_name,
                    email=actor.email, canonical_email=canonical, email_domain=domain, district_id=district_id, ip=ip,
                    user_id=actor.id, notify=bool(notify), locale=actor.locale, nonce=secrets.token_hex(6),
                    validated_at=utcnow(), flagged=_over_limits(values, petition.id, ip, domain), dirty=True)
    db.session.add(sig)
    db.session.flush()
    if elector is not None:
        legal.claim_quarter(petition, elector, sig)
    _after_validation(sig)
    if notify:
        follows.auto_follow(actor, "petition", petition.id)
    return sig


# --- confirmation mails: one queued job per burst, not one per signature ----------

def _trigger_signature_mails(sig_id: int) -> None:
    """Have the confirmation mail of ``sig_id`` sent after commit.

    Without a queue the job runs inline after commit. With Redis, jobs are
    coalesced: after commit, ``SET NX`` on a flag enqueues a job only if none
    is waiting; the job deletes the flag *before* reading pending rows. So
    either this request enqueues a job (which runs after its commit), or a
    job that has not started yet exists and will see the row. A lost job only
    delays mails until the flag expires or the periodic sweeper runs.
    """
    if not current_app.config.get("REDIS_URL"):
        enqueue_batched(jobs.send_signature_mails, sig_id)
        return
    after_commit(db.session(), "petitions:mail-trigger", _wake_mail_job)


def _wake_mail_job(_items) -> None:
    try:
        if redis_client().set(MAIL_TRIGGER_KEY, "1", nx=True, ex=10):
            dispatch(current_app._get_current_object(), [(job_path(jobs.run_signature_mails), (), {})])
    except Exception:  # Redis lost: the periodic sweeper sends the mails
        current_app.logger.warning("petitions: could not trigger confirmation mails; the sweeper will")


def confirm_signature(token: str) -> Signature:
    """The POST behind the mail's "Confirm my signature" button (never a GET,
    so link scanners cannot confirm). Confirming twice is harmless."""
    sig = signature_from_token(token)
    petition = sig.petition
    if sig.state == SignatureState.VALIDATED:
        return sig
    if sig.state != SignatureState.PENDING:
        raise InvalidTransition(_("This signature was withdrawn or cancelled. You can sign again from the "
                                  "petition's page."))
    if not (petition.state == S.OPEN or (sig.sponsor and petition.state in (S.SPONSORS, S.MODERATION))):
        raise InvalidTransition(_("This petition does not take signatures any more."))
    if petition.state == S.OPEN and psettings.load()["signing_paused"]:
        raise InvalidTransition(_("Signing is paused on the whole site for now. Your link will still work "
                                  "when signing resumes."))
    sig.state, sig.validated_at = SignatureState.VALIDATED, utcnow()
    _mark_dirty(sig)
    db.session.flush()
    _after_validation(sig)
    return sig


def _after_validation(sig: Signature) -> None:
    """A sponsor's confirmation may complete the sponsors: the petition then
    goes to the moderators (low volume, so the count is read directly)."""
    petition = sig.petition
    if not sig.sponsor or petition.state != S.SPONSORS:
        return
    needed = psettings.load()["sponsors_needed"]
    confirmed = db.session.scalar(sa.select(sa.func.count()).select_from(Signature).where(
        Signature.petition_id == petition.id, Signature.sponsor.is_(True),
        Signature.state == SignatureState.VALIDATED))
    if confirmed >= needed:
        transition(petition, FLOW, S.MODERATION, None, "petition.sponsored", kind="petition", stamp="updated_at",
                   sponsors=confirmed)
        petition.moderation_at = utcnow()
        db.session.flush()
        for mod in people_with_role(MODERATOR, petition.district_id):
            queue_mail(mod.email, lambda: _("A petition is waiting for moderation"), "petitions/moderation_needed",
                       {"petition": petition, "url": absolute_url("petitions.moderate", petition_id=petition.id)},
                       user=mod, dedupe_key=f"pmod:{petition.id}:{mod.id}")
        if petition.creator and petition.creator.email:
            queue_mail(petition.creator.email, lambda: _("Your petition has its sponsors"),
                       "petitions/sponsored", {"petition": petition}, user=petition.creator)


def withdraw_signature(actor, *, token: str | None = None, signature_id: int | None = None) -> Signature:
    """Withdraw a signature, from the mail's link or from "my signatures",
    at any time while the petition is open; the tally takes it off the counts."""
    if token is not None:
        sig = signature_from_token(token)
    else:
        require_login(actor)
        sig = db.session.get(Signature, signature_id or 0)
        if sig is None or not _owns(actor, sig):
            raise NotFound()
    if sig.state not in (SignatureState.PENDING, SignatureState.VALIDATED):
        raise InvalidTransition(_("This signature is already withdrawn."))
    if sig.petition.state not in (S.OPEN, S.SPONSORS, S.MODERATION):
        raise InvalidTransition(_("Signatures can only be withdrawn while the petition is open."))
    sig.state, sig.withdrawn_at = SignatureState.WITHDRAWN, utcnow()
    _mark_dirty(sig)
    db.session.flush()
    audit.record(actor if is_user(actor) else None, "petition.signature_withdrawn", "petition", sig.petition_id,
                 signature_id=sig.id)
    return sig


def _owns(user, sig: Signature) -> bool:
    return sig.user_id == user.id or (sig.canonical_email is not None and user.email is not None
                                      and sig.canonical_email == canonical_email(user.email))


def my_signatures(user) -> list[Signature]:
    require_login(user)
    canonical = canonical_email(user.email or "")
    return db.session.scalars(
        sa.select(Signature).where(sa.or_(Signature.user_id == user.id, Signature.canonical_email == canonical))
        .where(Signature.state.in_([SignatureState.PENDING, SignatureState.VALIDATED]))
        .order_by(Signature.created_at.desc()).limit(200)).all()


def record_paper_signature(actor, petition: Petition, *, name: str, postcode: str, signed_on: date | None,
                           batch: str) -> Signature:
    """A mediator records a paper signature: audited, counted separately and in the total."""
    require(permissions.can_record_paper_signatures(actor, petition))
    if petition.state != S.OPEN:
        raise InvalidTransition(_("This petition does not take signatures."))
    name, postcode_n, batch = clean_text(name), normalise_postcode(postcode), clean_text(batch)
    errors = {}
    check_text(errors, "name", name, 100, _("Enter the signer's name."))
    if not _POSTCODE.match(postcode_n):
        errors["postcode"] = _("Enter the postcode written on the sheet.")
    # The sheet's date is a local day: compared with the local days of today and of the opening.
    if signed_on is None or signed_on > today() or (petition.opened_at and signed_on < local_day(petition.opened_at)):
        errors["signed_on"] = _("Enter the date written on the sheet, while the petition was open.")
    if not batch or len(batch) > 60:
        errors["batch"] = _("Enter the reference of the batch of sheets (at most 60 characters).")
    if errors:
        raise ValidationError(fields=errors)
    sig = Signature(petition_id=petition.id, state=SignatureState.VALIDATED, source=SignatureSource.PAPER,
                    name=name, postcode=postcode_n, district_id=_district_id_for(postcode_n), paper_date=signed_on,
                    paper_batch=batch, recorded_by_id=actor.id, validated_at=utcnow(), dirty=True,
                    locale="fr")
    db.session.add(sig)
    db.session.flush()
    audit.record(actor, "petition.paper_signature", "petition", petition.id, signature_id=sig.id, batch=batch)
    return sig


