"""Petition services: the only writers of petitions and signatures.

Every function takes the actor as an argument, checks permission first,
validates, changes rows, writes the audit entry and outbox mail, and flushes;
the caller (view, API route, job, CLI) commits once.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm.attributes import flag_modified

from civic.accounts.models import District, DistrictPostcode, Role, User, UserRole
from civic.accounts.services import normalise_postcode
from civic.core import audit, content, security
from civic.core.aftercommit import after_commit
from civic.core.emails import canonical_email, is_valid_email, normalise_email
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, RateLimited, ValidationError
from civic.core.jobs import enqueue, enqueue_batched
from civic.core.outbox import Mail, queue_mail, queue_mails
from civic.core.permissions import is_user, require_contributor, require_login, require_role
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions import settings as psettings
from civic.petitions.models import (
    InvalidationRun,
    NewsKind,
    Petition,
    PetitionNews,
    PetitionState,
    Signature,
    SignatureSource,
    SignatureState,
)

S = PetitionState

TOPICS = {
    "environment": _l("Environment and nature"),
    "transport": _l("Transport and streets"),
    "housing": _l("Housing and planning"),
    "culture": _l("Culture and heritage"),
    "sport": _l("Sport and leisure"),
    "education": _l("Schools and youth"),
    "social": _l("Solidarity and health"),
    "safety": _l("Safety and cleanliness"),
    "democracy": _l("Local democracy"),
    "other": _l("Other"),
}

# Public reasons for a rejection, and reasons that hide the petition (its text
# must not be shown: offensive, libellous, advert, personal data).
REJECT_REASONS = {
    "duplicate": _l("A petition asking for the same thing is already open"),
    "outside_remit": _l("The city has no power to act on this"),
    "no_action": _l("It does not ask for a clear action"),
    "unclear": _l("It is too unclear to be answered"),
    "already_decided": _l("It asks for something already decided or under way"),
}
HIDE_REASONS = {
    "offensive": _l("Offensive, abusive or discriminatory content"),
    "libellous": _l("Potentially libellous content"),
    "advert": _l("Advertising or promotion"),
    "personal_data": _l("Personal data about someone"),
}
REMOVE_REASONS = {**HIDE_REASONS, "legal": _l("Taken down on a legal request"),
                  "fraud": _l("Signatures collected by fraud")}
DECISIONS = {
    "accepted": _l("Accepted: the city will do what the petition asks"),
    "partly": _l("Partly accepted"),
    "studying": _l("Under study: a decision will follow"),
    "refused": _l("Refused"),
}
def state_labels() -> dict:
    """Translated state names, in the "petition state" context (French
    agrees with "pétition": "Close", "Masquée"...)."""
    from flask_babel import pgettext

    return {
        S.DRAFT: pgettext("petition state", "Draft"),
        S.SPONSORS: pgettext("petition state", "Collecting sponsors"),
        S.MODERATION: pgettext("petition state", "Awaiting moderation"),
        S.OPEN: pgettext("petition state", "Open for signatures"),
        S.CLOSED: pgettext("petition state", "Closed"),
        S.REJECTED: pgettext("petition state", "Rejected"),
        S.HIDDEN: pgettext("petition state", "Hidden"),
        S.REMOVED: pgettext("petition state", "Removed"),
    }


LOCK_MINUTES = 30
MAX_CONFIRMATION_MAILS = 5
NEWS_BATCH = 500
_POSTCODE = re.compile(r"^[0-9A-Z\-]{2,12}$")


def reason_label(code: str | None) -> str:
    label = {**REJECT_REASONS, **REMOVE_REASONS}.get(code or "")
    return str(label) if label else ""


# --- permissions ----------------------------------------------------------------

def is_moderator(user, petition: Petition | None = None) -> bool:
    if not is_user(user):
        return False
    if petition is None:
        return user.has_any_role(Role.MODERATOR)
    return user.has_role(Role.MODERATOR, petition.district_id)


def is_creator(user, petition: Petition) -> bool:
    return is_user(user) and petition.creator_id == user.id


def can_view(user, petition: Petition) -> bool:
    """Public states are visible to all; drafts, sponsor collection, moderation
    and hidden petitions to their creator and moderators; removed ones only to
    moderators (others get 410 Gone)."""
    if petition.state in (S.OPEN, S.CLOSED, S.REJECTED):
        return True
    if petition.state == S.REMOVED:
        return is_moderator(user, petition)
    return is_creator(user, petition) or is_moderator(user, petition)


def _require_creator(actor, petition: Petition) -> None:
    require_contributor(actor)
    if petition.creator_id != actor.id:
        raise PermissionDenied()


def _transition(actor, petition: Petition, allowed: tuple, to: PetitionState, action: str, reason=None, **data):
    """The one guarded way to change a petition's state: refuses any move not
    allowed from the current state and writes the audit entry."""
    if petition.state not in allowed:
        raise InvalidTransition()
    old = petition.state
    petition.state = to
    petition.updated_at = utcnow()
    audit.record(actor, action, "petition", petition.id, reason=reason, **{"from": old.value, "to": to.value}, **data)


# --- creation ----------------------------------------------------------------------

def _clean_fields(title, background, details, topic, district_id, decision_maker) -> dict:
    title, background = clean_text(title), clean_text(background, multiline=True)
    details, maker = clean_text(details, multiline=True), clean_text(decision_maker)
    errors = {}
    if not title:
        errors["title"] = _("Say what action you ask for, for example “Open the Alfred Nakache pool on Sundays”.")
    elif len(title) > 80:
        errors["title"] = _("Use at most %(n)d characters.", n=80)
    if not background:
        errors["background"] = _("Explain in a few sentences why this action is needed.")
    elif len(background) > 300:
        errors["background"] = _("Use at most %(n)d characters.", n=300)
    if len(details) > 800:
        errors["details"] = _("Use at most %(n)d characters.", n=800)
    if len(maker) > 120:
        errors["decision_maker"] = _("Use at most %(n)d characters.", n=120)
    if topic not in TOPICS:
        errors["topic"] = _("Choose a topic from the list.")
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    if errors:
        raise ValidationError(fields=errors)
    return {"title": title, "background": background, "details": details, "topic": topic,
            "district_id": district_id, "decision_maker": maker or None}


def validate_petition(actor, **fields) -> dict:
    """Check a petition's text without saving it (the preview step)."""
    require_contributor(actor)
    return _clean_fields(**fields)


def create_petition(actor, *, title, background, details="", topic="other", district_id=None,
                    decision_maker=None) -> Petition:
    """Create a draft petition; its creator submits it to sponsors when ready."""
    require_contributor(actor)
    data = _clean_fields(title, background, details, topic, district_id, decision_maker)
    allowed, retry = security.hit(f"petition-create:{actor.id}", 5, 86400)
    if not allowed:
        raise RateLimited(_("You have started many petitions today. Please come back tomorrow."), retry_after=retry)
    petition = Petition(**data, creator_id=actor.id, state=S.DRAFT, sponsor_token=secrets.token_urlsafe(18))
    db.session.add(petition)
    db.session.flush()
    audit.record(actor, "petition.created", "petition", petition.id)
    content.created("petition", petition, actor)
    return petition


def update_draft(actor, petition: Petition, **fields) -> Petition:
    """Edit a petition while it is still a draft."""
    _require_creator(actor, petition)
    if petition.state != S.DRAFT:
        raise InvalidTransition(_("Only a draft can be changed: sponsors have seen this text."))
    for key, value in _clean_fields(**fields).items():
        setattr(petition, key, value)
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.edited", "petition", petition.id)
    return petition


def submit_petition(actor, petition: Petition) -> None:
    """Draft -> collecting sponsors: the creator gets the link to share."""
    _require_creator(actor, petition)
    _transition(actor, petition, (S.DRAFT,), S.SPONSORS, "petition.submitted")
    petition.submitted_at = utcnow()
    db.session.flush()


def sponsor_url(petition: Petition) -> str:
    return absolute_url("petitions.sponsor", petition_id=petition.id, token=petition.sponsor_token)


# --- signing --------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="civic-petition-signature")


def signature_token(sig: Signature) -> str:
    return _serializer().dumps([sig.id, sig.nonce])


def signature_from_token(token: str) -> Signature:
    try:
        sid, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ValidationError(_("This link is not valid. Check that you copied all of it.")) from None
    sig = db.session.get(Signature, sid)
    if sig is None or not sig.nonce or sig.nonce != nonce:
        raise ValidationError(_("This link is no longer valid."))
    return sig


def _mark_dirty(sig: Signature) -> None:
    # Always written, even if it already looked dirty when loaded: the tally may
    # have cleared it since, and this change must be folded in again.
    sig.dirty = True
    flag_modified(sig, "dirty")


def _district_id_for(postcode: str) -> int | None:
    return db.session.scalar(sa.select(DistrictPostcode.district_id).where(DistrictPostcode.postcode == postcode))


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
            t.c.id, t.c.state, t.c.sponsor_token,
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
    values = psettings.from_row(found, *_SIGN_SETTINGS)
    sponsor = _check_can_sign(petition, values, sponsor_token)
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
    canonical = canonical_email(actor.email)
    existing = db.session.scalar(sa.select(Signature).where(Signature.petition_id == petition.id,
                                                            Signature.canonical_email == canonical))
    if existing is not None:
        if existing.state == SignatureState.INVALIDATED:
            raise InvalidTransition(_("Your signature on this petition was cancelled by the moderators."))
        if existing.state != SignatureState.VALIDATED:
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
    _after_validation(sig)
    return sig


def send_signature_mails(ids=None, limit: int = 200) -> int:
    """Job: turn signatures waiting for their confirmation mail into outbox
    mail (delivered by jobs after commit). Returns how many were claimed."""
    return queue_signature_mails(ids, limit)[0]


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
                     t.c.mails_sent).where(t.c.mail_pending.is_(True))
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
    mail_ids = queue_mails([_signature_mail(r, petitions[r.petition_id]) for r in due], enqueue=enqueue)
    return len(rows), mail_ids


# --- confirmation mails: one queued job per burst, not one per signature ----------

MAIL_TRIGGER_KEY = "civic:petitions:signature-mails"


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
        enqueue_batched(send_signature_mails, sig_id)
        return
    after_commit(db.session(), "petitions:mail-trigger", _wake_mail_job)


def _wake_mail_job(_items) -> None:
    from civic.core.jobs import dispatch
    from civic.core.redis import redis_client

    try:
        if redis_client().set(MAIL_TRIGGER_KEY, "1", nx=True, ex=10):
            dispatch(current_app._get_current_object(), [("civic.petitions.jobs:run_signature_mails", (), {})])
    except Exception:  # Redis lost: the periodic sweeper sends the mails
        current_app.logger.warning("petitions: could not trigger confirmation mails; the sweeper will")


def sweep_signature_mails() -> int:
    """Periodic: confirmation mails whose job was lost (Redis down, worker killed)."""
    cutoff = utcnow() - timedelta(seconds=20)
    ids = db.session.scalars(sa.select(Signature.id).where(Signature.mail_pending.is_(True),
                                                           Signature.created_at < cutoff).limit(2000)).all()
    done = 0
    for i in range(0, len(ids), 200):
        done += send_signature_mails(ids[i:i + 200])
    return done


def _signature_mail(sig, petition) -> Mail:
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
        _transition(None, petition, (S.SPONSORS,), S.MODERATION, "petition.sponsored", sponsors=confirmed)
        petition.moderation_at = utcnow()
        db.session.flush()
        for mod in _people_with_role(Role.MODERATOR, petition.district_id):
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


def record_paper_signature(mediator, petition: Petition, *, name: str, postcode: str, signed_on: date | None,
                           batch: str) -> Signature:
    """A mediator records a paper signature: audited, counted separately and in the total."""
    require_role(mediator, Role.MEDIATOR, petition.district_id)
    if petition.state != S.OPEN:
        raise InvalidTransition(_("This petition does not take signatures."))
    name, postcode_n, batch = clean_text(name), normalise_postcode(postcode), clean_text(batch)
    errors = {}
    if not name:
        errors["name"] = _("Enter the signer's name.")
    elif len(name) > 100:
        errors["name"] = _("Use at most %(n)d characters.", n=100)
    if not _POSTCODE.match(postcode_n):
        errors["postcode"] = _("Enter the postcode written on the sheet.")
    if signed_on is None or signed_on > date.today() or (petition.opened_at and signed_on < petition.opened_at.date()):
        errors["signed_on"] = _("Enter the date written on the sheet, while the petition was open.")
    if not batch or len(batch) > 60:
        errors["batch"] = _("Enter the reference of the batch of sheets (at most 60 characters).")
    if errors:
        raise ValidationError(fields=errors)
    sig = Signature(petition_id=petition.id, state=SignatureState.VALIDATED, source=SignatureSource.PAPER,
                    name=name, postcode=postcode_n, district_id=_district_id_for(postcode_n), paper_date=signed_on,
                    paper_batch=batch, recorded_by_id=mediator.id, validated_at=utcnow(), dirty=True,
                    locale="fr")
    db.session.add(sig)
    db.session.flush()
    audit.record(mediator, "petition.paper_signature", "petition", petition.id, signature_id=sig.id, batch=batch)
    return sig


# --- moderation -------------------------------------------------------------------

def moderation_queue(actor) -> list[Petition]:
    """Petitions awaiting moderation in the actor's districts, longest waiting first."""
    require_login(actor)
    districts = actor.role_districts(Role.MODERATOR)
    if districts is not None and not districts:
        raise PermissionDenied()
    stmt = sa.select(Petition).where(Petition.state == S.MODERATION)
    if districts is not None:
        stmt = stmt.where(Petition.district_id.in_(districts))
    return db.session.scalars(stmt.order_by(Petition.moderation_at, Petition.id).limit(200)).all()


def take_for_moderation(actor, petition: Petition) -> None:
    """Lock the petition to this moderator for a while, so two moderators
    never decide on it at once. A conditional UPDATE makes the claim atomic."""
    require_role(actor, Role.MODERATOR, petition.district_id)
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
    require_role(actor, Role.MODERATOR, petition.district_id)
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
    _transition(actor, petition, (S.MODERATION,), S.OPEN, "petition.approved")
    petition.locked_by_id = petition.locked_until = None
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition is published"), "petitions/approved")


def _coded(code: str, explanation: str, allowed: dict) -> str:
    explanation = clean_text(explanation, multiline=True)
    errors = {}
    if code not in allowed:
        errors["code"] = _("Choose a reason from the list.")
    if not explanation:
        errors["explanation"] = _("Explain the decision in a sentence or two: the creator will read it.")
    elif len(explanation) > 2000:
        errors["explanation"] = _("Use at most %(n)d characters.", n=2000)
    if errors:
        raise ValidationError(fields=errors)
    return explanation


def reject_petition(actor, petition: Petition, code: str, explanation: str) -> None:
    """Reject with a public coded reason and an explanation."""
    take_for_moderation(actor, petition)
    explanation = _coded(code, explanation, REJECT_REASONS)
    petition.reason_code, petition.reason_text, petition.rejected_at = code, explanation, utcnow()
    _transition(actor, petition, (S.MODERATION,), S.REJECTED, "petition.rejected", reason=explanation, code=code)
    petition.locked_by_id = petition.locked_until = None
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition was not published"), "petitions/rejected")


def hide_petition(actor, petition: Petition, code: str, explanation: str) -> None:
    """Reject for a reason that hides the text (offensive, libellous, advert, personal data)."""
    take_for_moderation(actor, petition)
    explanation = _coded(code, explanation, HIDE_REASONS)
    petition.reason_code, petition.reason_text, petition.rejected_at = code, explanation, utcnow()
    _transition(actor, petition, (S.MODERATION,), S.HIDDEN, "petition.hidden", reason=explanation, code=code)
    petition.locked_by_id = petition.locked_until = None
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition was not published"), "petitions/rejected")


def remove_petition(actor, petition: Petition, code: str, explanation: str) -> None:
    """Take down a public petition: its page answers 410 Gone with the reason."""
    require_role(actor, Role.MODERATOR, petition.district_id)
    explanation = _coded(code, explanation, REMOVE_REASONS)
    previous = petition.state
    petition.reason_code, petition.reason_text, petition.removed_at = code, explanation, utcnow()
    _transition(actor, petition, (S.OPEN, S.CLOSED, S.REJECTED), S.REMOVED, "petition.removed",
                reason=explanation, code=code)
    petition.state_before_removal = previous
    db.session.flush()
    _decision_mail(petition, lambda: _("Your petition was removed"), "petitions/removed")


def restore_petition(actor, petition: Petition) -> None:
    """Undo a removal or a hiding (moderation's "restore")."""
    require_role(actor, Role.MODERATOR, petition.district_id)
    if petition.state == S.REMOVED:
        back = petition.state_before_removal or S.CLOSED
        if back == S.OPEN and petition.closes_at and petition.closes_at <= utcnow():
            back = S.CLOSED
            petition.closed_at = petition.closed_at or utcnow()
        _transition(actor, petition, (S.REMOVED,), back, "petition.restored")
        petition.removed_at = petition.state_before_removal = None
    else:
        _transition(actor, petition, (S.HIDDEN,), S.MODERATION, "petition.restored")
        petition.rejected_at = None
    petition.reason_code = petition.reason_text = None
    db.session.flush()


def set_hidden_hook(petition: Petition, hidden: bool) -> None:
    """Registry hook for the generic moderation module: hiding a public
    petition removes it, hiding one not yet public hides it; ``False`` restores."""
    if hidden:
        if petition.state in (S.OPEN, S.CLOSED, S.REJECTED):
            petition.state_before_removal = petition.state
            petition.reason_code, petition.removed_at = "moderation", utcnow()
            petition.reason_text = petition.reason_text or str(_("Removed after a report, by the moderators."))
            _transition(None, petition, (S.OPEN, S.CLOSED, S.REJECTED), S.REMOVED, "petition.removed",
                        code="moderation")
        elif petition.state in (S.DRAFT, S.SPONSORS, S.MODERATION):
            petition.reason_code, petition.rejected_at = "moderation", utcnow()
            _transition(None, petition, (S.DRAFT, S.SPONSORS, S.MODERATION), S.HIDDEN, "petition.hidden",
                        code="moderation")
    elif petition.state == S.REMOVED:
        back = petition.state_before_removal or S.CLOSED
        _transition(None, petition, (S.REMOVED,), back, "petition.restored")
        petition.removed_at = petition.state_before_removal = petition.reason_code = petition.reason_text = None
    elif petition.state == S.HIDDEN:
        _transition(None, petition, (S.HIDDEN,), S.MODERATION, "petition.restored")
        petition.rejected_at = petition.reason_code = petition.reason_text = None
    db.session.flush()


# --- closing and pauses ------------------------------------------------------------------

def _open_pause():
    from civic.petitions.models import SigningPause

    return db.session.scalar(sa.select(SigningPause).where(SigningPause.ended_at.is_(None)))


def close_due_petitions(now: datetime | None = None) -> int:
    """Periodic: record pauses of signing (extending deadlines by the paused
    days when a pause ends) and close the petitions whose time is up."""
    from civic.petitions.models import SigningPause

    now = now or utcnow()
    values = psettings.load()
    pause = _open_pause()
    if values["signing_paused"]:
        if pause is None:
            db.session.add(SigningPause(started_at=now))
            audit.record(None, "petition.signing_paused")
            db.session.flush()
        return 0  # nothing closes during a pause
    if pause is not None:
        days = max(1, -(-(now - pause.started_at) // timedelta(days=1)))  # whole days, rounded up
        pause.ended_at, pause.extended_days = now, days
        # Date arithmetic in Python: portable, and open petitions are few.
        for petition in db.session.scalars(sa.select(Petition).where(Petition.state == S.OPEN)).all():
            petition.closes_at += timedelta(days=days)
            petition.updated_at = now
        audit.record(None, "petition.signing_resumed", extended_days=days)
        db.session.flush()
    due = db.session.scalars(sa.select(Petition).where(Petition.state == S.OPEN, Petition.closes_at <= now)).all()
    for petition in due:
        petition.closed_at = now
        _transition(None, petition, (S.OPEN,), S.CLOSED, "petition.closed")
        if petition.creator and petition.creator.email:
            queue_mail(petition.creator.email, lambda: _("Your petition is closed"), "petitions/closed",
                       {"petition": petition, "url": absolute_url("petitions.detail", petition_id=petition.id)},
                       user=petition.creator, dedupe_key=f"pclosed:{petition.id}")
    db.session.flush()
    return len(due)


# --- thresholds (called by the tally) -----------------------------------------------------

def _people_with_role(role: Role, district_id: int | None) -> list[User]:
    conds = [UserRole.role == role, UserRole.district_id.is_(None)]
    if district_id is not None:
        conds[1] = sa.or_(UserRole.district_id.is_(None), UserRole.district_id == district_id)
    return db.session.scalars(sa.select(User).join(UserRole, UserRole.user_id == User.id).where(
        *conds, User.deleted_at.is_(None), User.email.is_not(None)).distinct()).all()


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
        petition.response_due_at = now + timedelta(days=psettings.load()["response_days"])
        crossed.append("response")
    if petition.debate_threshold and petition.debate_threshold_at is None \
            and petition.signature_count >= petition.debate_threshold:
        petition.debate_threshold_at = now
        crossed.append("debate")
    for which in crossed:
        audit.record(None, f"petition.threshold_{which}", "petition", petition.id, count=petition.signature_count)
        for official in _people_with_role(Role.OFFICIAL, petition.district_id):
            queue_mail(official.email, lambda: _("A petition has crossed a threshold"), "petitions/threshold",
                       {"petition": petition, "which": which,
                        "url": absolute_url("petitions.detail", petition_id=petition.id),
                        "respond_url": absolute_url("petitions.respond", petition_id=petition.id)},
                       user=official, dedupe_key=f"pthr:{petition.id}:{which}:{official.id}")


# --- official response, debate, creator updates ----------------------------------------

def _news_mail(news: PetitionNews) -> None:
    enqueue(mail_news, news.id)


def publish_response(actor, petition: Petition, *, summary: str, body: str, decision: str) -> PetitionNews:
    """An official publishes the petition's response (summary, full text,
    decision). Signers who opted in are mailed it in batches."""
    require_role(actor, Role.OFFICIAL, petition.district_id)
    if petition.state not in (S.OPEN, S.CLOSED):
        raise InvalidTransition()
    summary, errors = clean_text(summary, multiline=True), {}
    if not summary:
        errors["summary"] = _("Write a short summary of the response.")
    elif len(summary) > 600:
        errors["summary"] = _("Use at most %(n)d characters.", n=600)
    if not clean_text(body, multiline=True):
        errors["body"] = _("Write the full response.")
    if decision not in DECISIONS:
        errors["decision"] = _("Choose the decision taken.")
    if errors:
        raise ValidationError(fields=errors)
    if petition.answer("response"):
        raise InvalidTransition(_("This petition already has its official response."))
    news = PetitionNews(petition=petition, kind=NewsKind.RESPONSE, author_id=actor.id, summary=summary,
                        body_html=render_markdown(body), decision=decision, published_at=utcnow())
    db.session.add(news)
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.response_published", "petition", petition.id, decision=decision)
    _news_mail(news)
    return news


def publish_debate(actor, petition: Petition, *, debate_date: date | None, summary: str, url: str,
                   body: str = "") -> PetitionNews:
    """Record the outcome of the public debate (date, summary, link)."""
    require_role(actor, Role.OFFICIAL, petition.district_id)
    if petition.state not in (S.OPEN, S.CLOSED):
        raise InvalidTransition()
    summary, url, errors = clean_text(summary, multiline=True), clean_text(url), {}
    if debate_date is None:
        errors["debate_date"] = _("Enter the date of the debate.")
    if not summary:
        errors["summary"] = _("Write a short summary of the debate.")
    elif len(summary) > 600:
        errors["summary"] = _("Use at most %(n)d characters.", n=600)
    if url and (not re.match(r"^https?://[^\s]+$", url) or len(url) > 500):
        errors["url"] = _("Enter a web address starting with https://")
    if errors:
        raise ValidationError(fields=errors)
    if petition.answer("debate"):
        raise InvalidTransition(_("This petition already has its debate outcome."))
    news = PetitionNews(petition=petition, kind=NewsKind.DEBATE, author_id=actor.id, summary=summary,
                        body_html=render_markdown(body), debate_date=debate_date, debate_url=url or None,
                        published_at=utcnow())
    db.session.add(news)
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.debate_published", "petition", petition.id)
    _news_mail(news)
    return news


def post_update(actor, petition: Petition, *, title: str, body: str) -> PetitionNews:
    """The creator writes to the signers who opted in, at most once every few hours."""
    _require_creator(actor, petition)
    if petition.state not in (S.OPEN, S.CLOSED):
        raise InvalidTransition()
    title, errors = clean_text(title), {}
    text = clean_text(body, multiline=True)
    if not title:
        errors["title"] = _("Give your update a title.")
    elif len(title) > 120:
        errors["title"] = _("Use at most %(n)d characters.", n=120)
    if not text:
        errors["body"] = _("Write your update.")
    elif len(text) > 2000:
        errors["body"] = _("Use at most %(n)d characters.", n=2000)
    if errors:
        raise ValidationError(fields=errors)
    hours = psettings.load()["update_hours"]
    last = db.session.scalar(sa.select(sa.func.max(PetitionNews.published_at)).where(
        PetitionNews.petition_id == petition.id, PetitionNews.kind == NewsKind.UPDATE))
    if last is not None and last > utcnow() - timedelta(hours=hours):
        wait = int((last + timedelta(hours=hours) - utcnow()).total_seconds())
        raise RateLimited(_("You can send one update every %(n)d hours, so signers are not flooded.", n=hours),
                          retry_after=max(wait, 1))
    news = PetitionNews(petition=petition, kind=NewsKind.UPDATE, author_id=actor.id, title=title,
                        summary=text[:600], body_html=render_markdown(text), published_at=utcnow())
    db.session.add(news)
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.update_posted", "petition", petition.id)
    _news_mail(news)
    return news


def mail_news(news_id: int) -> None:
    """Job: mail one batch of opted-in signers, move the watermark, and
    re-enqueue itself for the next batch. Each signer gets at most one mail per
    news: the dedupe key (news, signature) holds even if the job restarts."""
    news = db.session.get(PetitionNews, news_id)
    if news is None or news.mailing_done_at is not None:
        return
    petition = news.petition
    rows = db.session.execute(sa.select(Signature.id, Signature.email, Signature.locale).where(
        Signature.petition_id == petition.id, Signature.state == SignatureState.VALIDATED,
        Signature.flagged.is_(False), Signature.notify.is_(True), Signature.email.is_not(None),
        Signature.id > news.mailed_up_to).order_by(Signature.id).limit(NEWS_BATCH)).all()
    template = f"petitions/news_{news.kind.value}"
    subjects = {NewsKind.RESPONSE: lambda: _("The official response to the petition you signed"),
                NewsKind.DEBATE: lambda: _("The petition you signed was debated"),
                NewsKind.UPDATE: lambda: _("News from the petition you signed")}
    ctx = {"petition": petition, "news": news, "decision": str(DECISIONS.get(news.decision or "", "")),
           "url": absolute_url("petitions.detail", petition_id=petition.id)}
    queue_mails([Mail(email, subjects[news.kind], template, ctx, locale=locale, topic=f"petition:{petition.id}",
                      dedupe_key=f"pnews:{news.id}:{sid}") for sid, email, locale in rows])
    if rows:
        news.mailed_up_to = rows[-1][0]
    if len(rows) < NEWS_BATCH:
        news.mailing_done_at = utcnow()
    else:
        enqueue(mail_news, news.id)
    db.session.flush()


def sweep_news_mailings() -> None:
    """Periodic: resume mailings whose job was lost."""
    for nid in db.session.scalars(sa.select(PetitionNews.id).where(
            PetitionNews.mailing_done_at.is_(None),
            PetitionNews.published_at < utcnow() - timedelta(minutes=2))).all():
        mail_news(nid)


# --- invalidation tool -------------------------------------------------------------------

def parse_criteria(petition_id=None, ip=None, cidr=None, domain=None, email_pattern=None,
                   since: date | None = None, until: date | None = None) -> dict:
    crit, errors = {}, {}
    if petition_id:
        if db.session.get(Petition, petition_id) is None:
            errors["petition_id"] = _("No petition has this number.")
        crit["petition_id"] = int(petition_id)
    ip, cidr = clean_text(ip), clean_text(cidr)
    if ip:
        try:
            crit["ip"] = str(ipaddress.ip_address(ip))
        except ValueError:
            errors["ip"] = _("Enter an IP address like 203.0.113.7.")
    if cidr:
        try:
            crit["cidr"] = str(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            errors["cidr"] = _("Enter a network like 203.0.113.0/24.")
    domain = clean_text(domain).lower().lstrip("@")
    if domain:
        crit["domain"] = domain
    pattern = clean_text(email_pattern).lower()
    if pattern:
        if not re.fullmatch(r"[a-z0-9*@.+_\-]+", pattern):
            errors["email_pattern"] = _("Use letters, digits, @ . + - _ and * as a wildcard.")
        crit["email_pattern"] = pattern
    if since:
        crit["since"] = since.isoformat()
    if until:
        crit["until"] = until.isoformat()
    if since and until and until < since:
        errors["until"] = _("The end date is before the start date.")
    if not any(k in crit for k in ("petition_id", "ip", "cidr", "domain", "email_pattern")):
        errors.setdefault("petition_id", _("Give at least a petition, an IP, a network, a domain or an email pattern."))
    if errors:
        raise ValidationError(fields=errors)
    return crit


def _criteria_stmt(crit: dict):
    stmt = sa.select(Signature.id, Signature.ip).where(
        Signature.state.in_([SignatureState.PENDING, SignatureState.VALIDATED]),
        Signature.source == SignatureSource.ONLINE)
    if "petition_id" in crit:
        stmt = stmt.where(Signature.petition_id == crit["petition_id"])
    if "ip" in crit:
        stmt = stmt.where(Signature.ip == crit["ip"])
    if "domain" in crit:
        stmt = stmt.where(Signature.email_domain == crit["domain"])
    if "email_pattern" in crit:
        like = crit["email_pattern"].replace("\\", "").replace("%", "").replace("_", "\\_").replace("*", "%")
        stmt = stmt.where(Signature.email.like(like, escape="\\"))
    if "since" in crit:
        stmt = stmt.where(Signature.created_at >= datetime.fromisoformat(crit["since"]))
    if "until" in crit:
        stmt = stmt.where(Signature.created_at < datetime.fromisoformat(crit["until"]) + timedelta(days=1))
    return stmt


def _matching_ids(crit: dict, after_id: int = 0, limit: int | None = None) -> list[int]:
    """Ids of live online signatures matching ``crit``. A CIDR is matched in
    Python (portable across databases), scanning by id ranges."""
    net = ipaddress.ip_network(crit["cidr"]) if "cidr" in crit else None
    stmt = _criteria_stmt(crit).where(Signature.id > after_id).order_by(Signature.id)
    out = []
    for sid, ip in db.session.execute(stmt.execution_options(yield_per=2000)):
        if net is not None:
            try:
                if ip is None or ipaddress.ip_address(ip) not in net:
                    continue
            except ValueError:
                continue
        out.append(sid)
        if limit and len(out) >= limit:
            break
    return out


def preview_invalidation(actor, crit: dict) -> dict:
    """How many signatures the criteria match, per petition, with a sample (masked)."""
    require_role(actor, Role.MODERATOR)
    ids = _matching_ids(crit)
    sample = db.session.execute(sa.select(Signature.id, Signature.petition_id, Signature.email, Signature.ip,
                                          Signature.created_at, Signature.state)
                                .where(Signature.id.in_(ids[:20])).order_by(Signature.id)).all() if ids else []
    return {"count": len(ids), "sample": sample}


def start_invalidation(actor, crit: dict, reason: str) -> InvalidationRun:
    """Record the run (audited) and hand it to a job that invalidates in batches."""
    require_role(actor, Role.MODERATOR)
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ValidationError(fields={"reason": _("Say why these signatures are invalid (kept in the audit log).")})
    run = InvalidationRun(created_by_id=actor.id, criteria=crit, reason=reason, previewed=len(_matching_ids(crit)))
    db.session.add(run)
    db.session.flush()
    audit.record(actor, "petition.invalidation_started", "petition", crit.get("petition_id"), reason=reason,
                 run_id=run.id, criteria=crit, matches=run.previewed)
    enqueue(run_invalidation, run.id)
    return run


def run_invalidation(run_id: int, batch: int = 2000) -> None:
    """Job: invalidate one batch of matches and re-enqueue until done; the
    tally then corrects the counts (the rows are marked dirty). Idempotent:
    invalidated rows no longer match."""
    run = db.session.get(InvalidationRun, run_id)
    if run is None or run.done_at is not None:
        return
    ids = _matching_ids(run.criteria, limit=batch)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        db.session.execute(sa.update(Signature).where(
            Signature.id.in_(chunk), Signature.state.in_([SignatureState.PENDING, SignatureState.VALIDATED]))
            .values(state=SignatureState.INVALIDATED, dirty=True, mail_pending=False),
            execution_options={"synchronize_session": False})
    run.invalidated += len(ids)
    if len(ids) < batch:
        run.done_at = utcnow()
        audit.record(run.created_by_id, "petition.invalidation_done", "petition", run.criteria.get("petition_id"),
                     run_id=run.id, invalidated=run.invalidated)
    else:
        enqueue(run_invalidation, run.id)
    db.session.flush()


# --- privacy --------------------------------------------------------------------------------

def export_for(user) -> dict:
    sigs = my_signatures(user)
    created = db.session.scalars(sa.select(Petition).where(Petition.creator_id == user.id)).all()
    return {
        "signatures": [{"petition": s.petition.title, "state": s.state.value, "name": s.name, "email": s.email,
                        "postcode": s.postcode, "signed_at": s.created_at.isoformat() + "Z",
                        "updates_by_email": s.notify} for s in sigs],
        "petitions_created": [{"id": p.id, "title": p.title, "state": p.state.value,
                               "created_at": p.created_at.isoformat() + "Z"} for p in created],
    }


def erase_for(user) -> None:
    """Account deleted: the signatures still count, the personal data goes."""
    canonical = canonical_email(user.email or "")
    db.session.execute(sa.update(Signature).where(
        sa.or_(Signature.user_id == user.id, Signature.canonical_email == canonical)).values(
        name=None, email=None, canonical_email=None, email_domain=None, postcode=None, ip=None, user_id=None,
        nonce=None, notify=False, mail_pending=False, anonymised=True), execution_options={"synchronize_session": False})


def anonymise_expired_signers(batch: int = 5000) -> int:
    """Periodic: some time after a petition ends (closed, rejected, hidden or
    removed), signers' names, emails, postcodes and IPs are erased in batches.
    District counts and the ``counted`` flags stay, so totals survive."""
    values = psettings.load()
    cutoff = utcnow() - timedelta(days=values["retention_days"])
    petitions = db.session.scalars(sa.select(Petition).where(
        Petition.signers_anonymised_at.is_(None),
        sa.or_(sa.and_(Petition.state == S.CLOSED, Petition.closed_at < cutoff),
               sa.and_(Petition.state.in_([S.REJECTED, S.HIDDEN]), Petition.rejected_at < cutoff),
               sa.and_(Petition.state == S.REMOVED, Petition.removed_at < cutoff)))).all()
    done = 0
    for petition in petitions:
        ids = db.session.scalars(sa.select(Signature.id).where(
            Signature.petition_id == petition.id, Signature.anonymised.is_(False)).limit(batch)).all()
        if ids:
            db.session.execute(sa.update(Signature).where(Signature.id.in_(ids)).values(
                name=None, email=None, canonical_email=None, email_domain=None, postcode=None, ip=None,
                user_id=None, nonce=None, mail_pending=False, anonymised=True),
                execution_options={"synchronize_session": False})
            done += len(ids)
        if len(ids) < batch:
            petition.signers_anonymised_at = utcnow()
            from civic.petitions.models import TrafficReport

            db.session.execute(sa.delete(TrafficReport).where(TrafficReport.petition_id == petition.id))
            audit.record(None, "petition.signers_anonymised", "petition", petition.id)
        else:
            enqueue(anonymise_expired_signers)
            break
    db.session.flush()
    return done


HISTORY_LABELS = {
    "petition.created": _l("Draft created"),
    "petition.submitted": _l("Sent to sponsors"),
    "petition.sponsored": _l("Sponsors gathered; sent to moderation"),
    "petition.approved": _l("Published by the moderators"),
    "petition.rejected": _l("Rejected by the moderators"),
    "petition.hidden": _l("Hidden by the moderators"),
    "petition.removed": _l("Removed by the moderators"),
    "petition.restored": _l("Restored by the moderators"),
    "petition.closed": _l("Closed for signatures"),
    "petition.threshold_response": _l("Response threshold crossed: the city must answer"),
    "petition.threshold_debate": _l("Debate threshold crossed"),
    "petition.response_published": _l("Official response published"),
    "petition.debate_published": _l("Debate outcome published"),
}
