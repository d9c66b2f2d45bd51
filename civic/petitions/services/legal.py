"""Requests to the council under CGCT art. L1112-16 (« Demande au conseil »).

A legal request is a petition with a ``legal_kind`` (I: the organisation of
a consultation; II: a matter to decide in a given direction) addressed to
an authority. What the law adds to a petition:

- only electors sign: the signer's identity hash must be on the roll in
  force (``civic.accounts.roll``), online (an identity vouched for by
  FranceConnect) or on paper (a mediator types the identity, checked on the
  roll);
- the threshold is a tenth of the registered electors in a commune, a
  twentieth elsewhere, computed from the roll in force when the request
  opens and frozen with that roll's id and count;
- each quarter an elector signs only one request to the same authority
  (table ``legal_signature_quarter``, whose unique constraint is the rule);
- the request goes to the mayor, who acknowledges receipt and informs the
  council at its first session after receipt; the council decides. Each
  step is dated and public; the decision is the answer owed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from civic.accounts import electors, roll
from civic.core import audit
from civic.core.errors import InvalidTransition, PermissionDenied, ValidationError
from civic.core.permissions import require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import local_day, to_local, today, utcnow
from civic.extensions import db
from civic.petitions import permissions
from civic.petitions import settings as psettings
from civic.petitions.models import (
    AuthorityType,
    CouncilSession,
    LegalKind,
    LegalSignatureQuarter,
    Petition,
    PetitionState,
    Signature,
    SignatureSource,
    SignatureState,
)
from civic.petitions.services.checks import POSTCODE, check_text, district_id_for

S = PetitionState

# The first paragraph of art. L1112-16 CGCT as worded since loi n° 2022-217
# du 21 février 2022 (« 3DS »), quoted in French: the law is shown as written.
LAW_TEXT = ("« Dans une commune, un dixième des électeurs inscrits sur les listes électorales et, dans les "
            "autres collectivités territoriales, un vingtième des électeurs inscrits sur les listes électorales "
            "peuvent demander à ce que soit inscrite à l’ordre du jour de l’assemblée délibérante de la "
            "collectivité l’organisation d’une consultation sur toute affaire relevant de la décision de cette "
            "assemblée ou, en vue de lui demander de délibérer dans un sens déterminé, toute affaire relevant "
            "de sa compétence. »")
LAW_REFERENCE = "Code général des collectivités territoriales, article L1112-16 (rédaction issue de la loi n° 2022-217 du 21 février 2022)"


def kind_labels() -> dict[str, str]:
    return {LegalKind.CONSULTATION.value: _("I — Organise a consultation on a matter the council decides"),
            LegalKind.DELIBERATION.value: _("II — Ask the council to decide in a given direction on a matter "
                                            "within its competence")}


def authority() -> tuple[str, AuthorityType]:
    """The authority legal requests are addressed to, from the settings."""
    values = psettings.load()
    name = (values.get("legal_authority") or "").strip()
    if not name:
        name = f"le conseil municipal de {current_app.config['SITE_NAME']}"
    kind = AuthorityType.OTHER if values.get("legal_authority_type") == "other" else AuthorityType.COMMUNE
    return name, kind


def divisor(authority_type: AuthorityType | None) -> int:
    """A tenth of the electors in a commune, a twentieth in other authorities."""
    return 20 if authority_type == AuthorityType.OTHER else 10


def threshold_for(elector_count: int, authority_type: AuthorityType | None) -> int:
    return max(1, math.ceil(elector_count / divisor(authority_type)))


def quarter_key(moment: datetime | None = None) -> str:
    """The calendar quarter of ``moment`` in the city's time zone, like "2026-Q4"."""
    day = local_day(moment or utcnow())
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def make_legal(petition: Petition, kind: str | None) -> None:
    """Turn a new draft into a legal request of ``kind`` ("I" or "II"),
    addressed to the authority of the settings (ordinary petition: None)."""
    if not kind:
        petition.legal_kind = petition.authority = petition.authority_type = None
        return
    if kind not in (k.value for k in LegalKind):
        raise ValidationError(fields={"legal_kind": _("Choose the kind of request from the list.")})
    name, kind_of_authority = authority()
    petition.legal_kind, petition.authority, petition.authority_type = LegalKind(kind), name, kind_of_authority
    petition.decision_maker = name[:120]


def roll_imported() -> bool:
    """Whether a roll with electors is in force (a legal request can open)."""
    current = roll.roll_in_force()
    return bool(current and current.elector_count)


def open_legal(petition: Petition) -> None:
    """At opening: the threshold from the roll in force, frozen with its id
    and count. Without a roll a legal request cannot open."""
    current = roll.roll_in_force()
    if current is None or not current.elector_count:
        raise InvalidTransition(_("This request to the council cannot open: no electoral roll is imported. "
                                  "An administrator must import the commune's electoral list first (Admin → "
                                  "Electoral roll); the threshold is a share of the registered electors."))
    petition.threshold_from_roll = True
    petition.roll_id, petition.roll_elector_count = current.id, current.elector_count
    petition.response_threshold = threshold_for(current.elector_count, petition.authority_type)
    petition.debate_threshold = None


# --- signing: only electors, one request per authority and quarter -----------------------

def signed_this_quarter(identity_hash: str | None, authority_name: str, now: datetime | None = None):
    """The legal request to ``authority_name`` this elector signed this quarter, or None."""
    if not identity_hash:
        return None
    return db.session.scalar(sa.select(Petition).join(LegalSignatureQuarter,
                                                      LegalSignatureQuarter.petition_id == Petition.id)
                             .where(LegalSignatureQuarter.identity_hash == identity_hash,
                                    LegalSignatureQuarter.authority == authority_name,
                                    LegalSignatureQuarter.quarter == quarter_key(now)))


def require_elector(user) -> str:
    """The elector hash of ``user``, or a 403 explaining how to become a verified elector."""
    found = roll.elector_hash(user)
    if found is None:
        raise PermissionDenied(_("Only electors registered in the commune sign a request to the council "
                                 "(art. L1112-16). Sign in with FranceConnect so that your identity can be "
                                 "checked against the electoral roll, or sign in person at the town hall, "
                                 "where a mediator checks the roll."))
    return found


def claim_quarter(petition: Petition, identity_hash: str, sig: Signature | None, now: datetime | None = None) -> None:
    """Record that this elector signs ``petition`` this quarter, or refuse.

    The insert runs in a savepoint: the unique constraints decide, so two
    concurrent signatures of one elector cannot both pass (the second waits
    for the first on PostgreSQL, then fails and is answered with a message).

    A withdrawn signature keeps its row: the law limits what an elector
    *signs* in a quarter, and freeing the quarter on withdrawal would let one
    elector push several requests past their threshold in turn.
    """
    existing = db.session.scalar(sa.select(LegalSignatureQuarter).where(
        LegalSignatureQuarter.identity_hash == identity_hash, LegalSignatureQuarter.petition_id == petition.id))
    if existing is not None:
        if sig is not None and existing.signature_id not in (None, sig.id):
            # One elector, one voice: another account, or another paper sheet, of the same person.
            raise InvalidTransition(_("This elector has already signed this request."))
        if sig is not None:
            existing.signature_id = sig.id
        return
    other = signed_this_quarter(identity_hash, petition.authority, now)
    if other is not None:
        raise InvalidTransition(quarter_refusal(other))
    row = LegalSignatureQuarter(identity_hash=identity_hash, authority=petition.authority,
                                quarter=quarter_key(now), petition_id=petition.id,
                                signature_id=sig.id if sig is not None else None, created_at=now or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        other = signed_this_quarter(identity_hash, petition.authority, now)
        raise InvalidTransition(quarter_refusal(other)) from None


def quarter_refusal(other: Petition | None) -> str:
    if other is None:
        return _("This elector has already signed a request to this authority this quarter.")
    return _("Each quarter, an elector signs only one request to the same authority (art. L1112-16). "
             "This quarter you already signed « %(title)s ».", title=other.title)


def sign_legal(actor, petition: Petition) -> str:
    """The checks of a legal request before an online signature is created:
    returns the elector's identity hash."""
    identity = require_elector(actor)
    if petition.state != S.OPEN:
        raise InvalidTransition(_("This petition does not take signatures."))
    return identity


def _note_refusal(petition: Petition, reason: str, batch: str) -> None:
    # The refusal rolls the transaction back; the view audits it afterwards (audit_paper_refusal).
    g.legal_paper_refusal = {"petition_id": petition.id, "reason": reason, "batch": batch}


def audit_paper_refusal(actor, petition: Petition) -> None:
    """Audit the paper entry of ``petition`` refused in this request, if
    any (after its rollback)."""
    require(permissions.can_record_paper_signatures(actor, petition))
    refusal = g.pop("legal_paper_refusal", None)
    if refusal is not None and refusal["petition_id"] == petition.id:
        audit.record(actor, "petition.paper_signature_refused", "petition", refusal["petition_id"],
                     reason=refusal["reason"], batch=refusal["batch"])
        db.session.commit()


def record_paper_legal(actor, petition: Petition, *, family_name: str, given_names: str, birthdate: date | None,
                       postcode: str, signed_on: date | None, batch: str) -> Signature:
    """A mediator enters a signature from a paper sheet of a legal request:
    the typed identity must be on the roll in force and pass the quarter
    rule; audited, refused rows say why."""
    from civic.accounts.services import normalise_postcode

    require(permissions.can_record_paper_signatures(actor, petition))
    if petition.state != S.OPEN:
        raise InvalidTransition(_("This petition does not take signatures."))
    family, given, batch = clean_text(family_name), clean_text(given_names), clean_text(batch)
    postcode_n = normalise_postcode(postcode)
    errors = {}
    check_text(errors, "family_name", family, 100, _("Enter the signer's birth name as written on the sheet."))
    check_text(errors, "given_names", given, 100, _("Enter the signer's given names as written on the sheet."))
    if birthdate is None or birthdate > today():
        errors["birthdate"] = _("Enter the birth date written on the sheet.")
    if not POSTCODE.match(postcode_n):
        errors["postcode"] = _("Enter the postcode written on the sheet.")
    if signed_on is None or signed_on > today() or (petition.opened_at and signed_on < local_day(petition.opened_at)):
        errors["signed_on"] = _("Enter the date written on the sheet, while the petition was open.")
    if not batch or len(batch) > 60:
        errors["batch"] = _("Enter the reference of the batch of sheets (at most 60 characters).")
    if errors:
        raise ValidationError(fields=errors)
    identity = electors.identity_hash(family, given, birthdate)
    if roll.on_roll(identity) is None:
        _note_refusal(petition, "not_on_roll", batch)
        raise ValidationError(fields={"family_name": _(
            "Not found on the electoral roll in force: check the birth name, the given names and the birth "
            "date against the sheet. Only registered electors may sign a request to the council.")})
    sig = Signature(petition_id=petition.id, state=SignatureState.VALIDATED, source=SignatureSource.PAPER,
                    name=f"{given} {family}"[:100], postcode=postcode_n, district_id=district_id_for(postcode_n),
                    paper_date=signed_on, paper_batch=batch, recorded_by_id=actor.id, validated_at=utcnow(),
                    dirty=True, locale="fr")
    db.session.add(sig)
    db.session.flush()
    try:
        claim_quarter(petition, identity, sig)
    except InvalidTransition as err:
        _note_refusal(petition, "quarter", batch)
        raise ValidationError(fields={"family_name": err.message}) from None
    audit.record(actor, "petition.paper_signature", "petition", petition.id, signature_id=sig.id, batch=batch,
                 roll_checked=True)
    return sig


# --- the law's steps ----------------------------------------------------------------------

def received_at(petition: Petition) -> datetime | None:
    """When the mayor received the request: the acknowledged date, else the transmission."""
    return petition.legal_acknowledged_at or petition.legal_transmitted_at


def due_session(petition: Petition) -> CouncilSession | None:
    """The first session of the authority's assembly after receipt: the
    session at which the council must be informed."""
    received = received_at(petition)
    if received is None:
        return None
    return db.session.scalar(sa.select(CouncilSession).where(
        CouncilSession.authority == petition.authority, CouncilSession.held_on > local_day(received))
        .order_by(CouncilSession.held_on, CouncilSession.id).limit(1))


def session_moment(session: CouncilSession) -> datetime:
    """The due moment of the answer: the last second of the session's local
    day (naive UTC), so that it shows as that day and a decision taken at
    the session is on time."""
    from civic.core.time import end_of_day

    return end_of_day(session.held_on) - timedelta(seconds=1)


def transmit(petition: Petition, now: datetime | None = None) -> None:
    """Threshold reached: the request is transmitted to the mayor's office
    (called by the tally's threshold check; mails the officials)."""
    if petition.legal_transmitted_at is None:
        petition.legal_transmitted_at = now or utcnow()
        audit.record(None, "petition.legal_transmitted", "petition", petition.id, authority=petition.authority)


def _require_step(actor, petition: Petition, *, needs: str | None) -> None:
    require(permissions.can_handle_legal_request(actor, petition))
    if petition.legal_transmitted_at is None:
        raise InvalidTransition(_("This request has not reached its threshold: it was not transmitted yet."))
    if needs == "acknowledged" and petition.legal_acknowledged_at is None:
        raise InvalidTransition(_("Record the acknowledgment of receipt first."))


def acknowledge(actor, petition: Petition, *, received_on: date | None) -> None:
    """The mayor's office acknowledges receipt of the request (dated)."""
    _require_step(actor, petition, needs=None)
    if petition.legal_acknowledged_at is not None:
        raise InvalidTransition(_("Receipt is already acknowledged."))
    if received_on is None or received_on > today() or received_on < local_day(petition.legal_transmitted_at):
        raise ValidationError(fields={"received_on": _("Enter the date of receipt: not before the transmission, "
                                                       "not in the future.")})
    from civic.core.time import start_of_day

    petition.legal_acknowledged_at = max(start_of_day(received_on), petition.legal_transmitted_at)
    petition.legal_acknowledged_by_id = actor.id
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.legal_acknowledged", "petition", petition.id, received_on=received_on.isoformat())


def record_informed(actor, petition: Petition, *, session_id: int | None) -> None:
    """The council was informed of the request at this session."""
    _require_step(actor, petition, needs="acknowledged")
    session = db.session.get(CouncilSession, session_id or 0)
    if session is None or session.authority != petition.authority \
            or session.held_on < local_day(petition.legal_acknowledged_at) or session.held_on > today():
        raise ValidationError(fields={"session_id": _("Choose a session held after receipt from the calendar.")})
    petition.legal_informed_session_id = session.id
    petition.legal_informed_at = utcnow()
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.legal_informed", "petition", petition.id, session_id=session.id)


def record_decision(actor, petition: Petition, *, decided_on: date | None, number: str, text: str,
                    url: str = "") -> None:
    """The council's decision: date, deliberation number, text, link. It is
    the answer owed (accountability page)."""
    _require_step(actor, petition, needs="acknowledged")
    if petition.legal_decided_at is not None:
        raise InvalidTransition(_("The council's decision is already recorded."))
    number, text, url = clean_text(number), clean_text(text, multiline=True), clean_text(url)
    errors = {}
    if decided_on is None or decided_on > today() or decided_on < local_day(petition.legal_acknowledged_at):
        errors["decided_on"] = _("Enter the date of the council's deliberation, after receipt.")
    check_text(errors, "number", number, 40, _("Enter the deliberation's number, for example DEL-2027-031."))
    check_text(errors, "text", text, 4000, _("Write what the council decided."))
    if url and not url.startswith(("https://", "http://")) or len(url) > 500:
        errors["url"] = _("Enter a link starting with https://.")
    if errors:
        raise ValidationError(fields=errors)
    petition.legal_decided_on, petition.legal_deliberation_number = decided_on, number
    petition.legal_decision_html, petition.legal_deliberation_url = render_markdown(text), url or None
    petition.legal_decided_at, petition.legal_decided_by_id = utcnow(), actor.id
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "petition.legal_decided", "petition", petition.id, number=number)


@dataclass
class Step:
    label: str
    at: date | datetime | None
    detail: str = ""
    late: bool = False


def steps(petition: Petition, now: datetime | None = None) -> list[Step]:
    """The law's steps, in order, each with its date (None: not yet)."""
    now = now or utcnow()
    session = petition.informed_session
    due = due_session(petition)
    informed_late = bool(due and petition.legal_informed_session_id is None and due.held_on < local_day(now))
    out = [
        Step(_("Threshold reached"), petition.response_threshold_at,
             _("%(n)s signatures of electors needed.", n=petition.response_threshold) if petition.response_threshold
             else ""),
        Step(_("Transmitted to the mayor"), petition.legal_transmitted_at),
        Step(_("Acknowledgment of receipt"), petition.legal_acknowledged_at),
        Step(_("Council informed"), session.held_on if session else None,
             session.title if session else (
                 _("Due at the first session after receipt: %(title)s.", title=due.title) if due else
                 (_("No session of the council after receipt is in the calendar yet.")
                  if received_at(petition) else "")),
             late=informed_late),
        Step(_("Council's decision"), petition.legal_decided_on,
             _("Deliberation %(number)s", number=petition.legal_deliberation_number)
             if petition.legal_deliberation_number else ""),
    ]
    return out


def due_at(petition: Petition) -> datetime | None:
    session = due_session(petition)
    return session_moment(session) if session else None


def owed_answers() -> list[dict]:
    """Legal requests received by the mayor owe the council's decision by
    the first session after receipt."""
    from flask import url_for

    rows = db.session.scalars(sa.select(Petition).where(Petition.legal_kind.is_not(None),
                                                        Petition.legal_transmitted_at.is_not(None),
                                                        Petition.state.in_([S.OPEN, S.CLOSED]))).all()
    out = []
    for p in rows:
        due = due_at(p)
        if due is None:
            continue  # no session after receipt in the calendar: nothing can be due yet
        out.append({"kind": "petition", "id": p.id, "title": p.title,
                    "url": url_for("petitions.detail", petition_id=p.id), "district_id": p.district_id,
                    "owed_since": received_at(p), "due_at": due, "answered_at": p.legal_decided_at,
                    "steps": [{"label": s.label, "at": s.at, "detail": s.detail, "late": s.late}
                              for s in steps(p)]})
    return out


# --- council sessions ---------------------------------------------------------------------

def sessions(authority_name: str | None = None) -> list[CouncilSession]:
    stmt = sa.select(CouncilSession).order_by(CouncilSession.held_on.desc(), CouncilSession.id.desc())
    if authority_name:
        stmt = stmt.where(CouncilSession.authority == authority_name)
    return db.session.scalars(stmt.limit(500)).all()


def save_session(actor, session: CouncilSession | None, *, held_on: date | None, title: str,
                 authority_name: str = "") -> CouncilSession:
    """Add or change a session of the council's calendar (administrators)."""
    require(permissions.can_manage_council_sessions(actor))
    title = clean_text(title)
    name = clean_text(authority_name) or authority()[0]
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Enter the date of the session.")
    check_text(errors, "title", title, 160, _("Give the session a title, for example “Conseil municipal du 12 mars”."))
    check_text(errors, "authority", name, 160)
    if errors:
        raise ValidationError(fields=errors)
    if session is None:
        session = CouncilSession(held_on=held_on, title=title, authority=name)
        db.session.add(session)
    else:
        session.held_on, session.title, session.authority = held_on, title, name
    db.session.flush()
    audit.record(actor, "council_session.saved", "council_session", session.id, held_on=held_on.isoformat())
    return session


# --- the signers' list ----------------------------------------------------------------------

def signers_rows(actor, petition: Petition):
    """The signers of a legal request for the mayor's office to verify:
    minimal fields (the name as given, when, online or paper). Audited."""
    require(permissions.can_download_signers(actor, petition))
    audit.record(actor, "petition.signers_downloaded", "petition", petition.id)
    rows = db.session.execute(sa.select(Signature.name, Signature.validated_at, Signature.source).where(
        Signature.petition_id == petition.id, Signature.state == SignatureState.VALIDATED,
        Signature.flagged.is_(False)).order_by(Signature.id)).all()
    return [(name or "", to_local(at).isoformat(timespec="minutes") if at else "", source.value)
            for name, at, source in rows]
