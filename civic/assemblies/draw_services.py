"""The draw of a citizens' assembly: the only writers of selections, quotas,
invitations and volunteers (issue 18, items 2 to 5 and 7).

Stage 1 (invitations): a uniform sample of an imported address list, drawn
from a published seed (``selection.sample_uniform``); each letter carries a
reply code derived from the site's key, of which the database keeps only a
keyed hash. Stage 2 (volunteers): invited people (or a mediator for them)
register their interest with the code and answer the feature form the admins
chose; other volunteers can be imported in the Sortition Foundation's
respondents format. The admins set the quotas, then publish the commitment
(sha256) of a secret seed: the pool is frozen as anonymised files. The draw
computes everyone's probability (maximin by default, nash or legacy), draws
the panel from the lottery with the seed, reveals the seed and makes the
selected volunteers members. Anyone recomputes it from the published files
and the seed (``flask civic assemblies select ... --seed``).

Every function taking ``actor`` checks a predicate of
``civic.assemblies.permissions`` first, flushes and never commits.
"""

from __future__ import annotations

import csv
import io
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.electors import keyed_hash
from civic.core import audit, security
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import require
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.extensions import db

from . import draw_jobs, drawing, permissions, report, selection
from .drawing import erase_pool_data, frozen_pool, pool, run_draw  # noqa: F401  (the draw's API, re-exported)
from .models import (
    SELECTION_FLOW,
    Algorithm,
    Assembly,
    Invitation,
    Member,
    Quota,
    Selection,
    SelectionState,
    Volunteer,
    VolunteerStatus,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
CODE_LENGTH = 10
MAX_ADDRESSES = 200_000
MAX_FILE = 5_000_000
MAX_SEED = 100
# Wrong reply codes tolerated per address (IP) and hour: guessing a 10-character code is hopeless.
CODE_TRIES, CODE_WINDOW = 20, 3600
ADDRESS_COLUMNS = {
    "name": ("name", "nom"),
    "address": ("address", "adresse"),
    "postcode": ("postcode", "code_postal"),
    "city": ("city", "ville"),
}


# --- reading -------------------------------------------------------------------------

def get_selection(assembly_id: int, user) -> Selection:
    """The assembly's selection, if the user may see the assembly (NotFound otherwise)."""
    sel = db.session.scalar(sa.select(Selection).where(Selection.assembly_id == assembly_id))
    if sel is None or not permissions.can_view_assembly(user, sel.assembly):
        raise NotFound()
    return sel


def get_assembly(assembly_id: int, user) -> Assembly:
    a = db.session.get(Assembly, assembly_id)
    if a is None or not permissions.can_view_assembly(user, a):
        raise NotFound()
    return a


def selection_of(assembly: Assembly) -> Selection | None:
    return db.session.scalar(sa.select(Selection).where(Selection.assembly_id == assembly.id))



def counts(sel: Selection) -> dict:
    """How many letters, replies, volunteers and selected people (for the pages)."""
    inv = db.session.execute(sa.select(sa.func.count(), sa.func.count(Invitation.replied_at))
                             .where(Invitation.selection_id == sel.id)).one()
    by_status = dict(db.session.execute(sa.select(Volunteer.status, sa.func.count())
                                        .where(Volunteer.selection_id == sel.id).group_by(Volunteer.status)).all())
    return {"invited": inv[0], "replied": inv[1], "volunteers": sum(by_status.values()),
            "selected": by_status.get(VolunteerStatus.SELECTED, 0)}


def quota_objects(sel: Selection) -> list[selection.Quota]:
    return [selection.Quota(q.category, q.value, q.min, q.max) for q in sel.quotas]




# --- setting up --------------------------------------------------------------------

def open_selection(actor, assembly: Assembly) -> Selection:
    """Start the selection of ``assembly`` (one per assembly); returns the existing one if any."""
    require(permissions.can_manage_selection(actor, assembly))
    sel = selection_of(assembly)
    if sel is None:
        sel = Selection(assembly_id=assembly.id, state=SelectionState.OPEN, algorithm=Algorithm.MAXIMIN,
                        sensitive=[], replacements=0)
        db.session.add(sel)
        db.session.flush()
        audit.record(actor, "assemblies.selection_opened", "assembly_selection", sel.id, assembly_id=assembly.id)
    return sel


def _require_open(sel: Selection) -> None:
    if sel.state != SelectionState.OPEN:
        raise InvalidTransition(_("The pool is frozen: the draw's commitment is published."))


def _text(raw: str | bytes | None, field: str) -> str:
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE:
            raise ValidationError(fields={field: _("The file is larger than 5 MB.")})
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(fields={field: _("The file must be a CSV file encoded in UTF-8.")}) from None
    text = (raw or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(fields={field: _("Give a CSV file or paste its content.")})
    if len(text) > MAX_FILE or "\x00" in text:
        raise ValidationError(fields={field: _("The file is larger than 5 MB.")})
    return text + "\n"


def import_categories(actor, sel: Selection, raw: str | bytes) -> list[Quota]:
    """Replace the feature form and its quotas with a categories file
    (``category``, ``feature`` or ``name``, ``min``, ``max``)."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    _require_open(sel)
    text = _text(raw, "categories")
    try:
        parsed = selection.parse_categories(text)
    except selection.SelectionError as err:
        raise ValidationError(fields={"categories": str(err)}) from None
    too_long = [q for q in parsed if len(q.category) > 80 or len(q.value) > 80]
    if too_long:
        raise ValidationError(fields={"categories": _("Category and feature names are at most 80 characters.")})
    if db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer).where(Volunteer.selection_id == sel.id)):
        old = {(q.category, q.value) for q in sel.quotas}
        if old != {(q.category, q.value) for q in parsed}:
            raise ValidationError(fields={"categories": _(
                "Volunteers have already answered the current form: you may change the quotas' min and max, "
                "not the categories and features.")})
    sel.quotas.clear()
    db.session.flush()
    for i, q in enumerate(parsed):
        sel.quotas.append(Quota(position=i, category=clean_text(q.category), value=clean_text(q.value),
                                min=q.min, max=q.max))
    sel.sensitive = [c for c in sel.sensitive if c in {q.category for q in parsed}]
    db.session.flush()
    audit.record(actor, "assemblies.quotas_imported", "assembly_selection", sel.id, quotas=len(parsed))
    return sel.quotas


def update_quotas(actor, sel: Selection, bounds: dict[int, tuple[str, str]], sensitive: list[str],
                  algorithm: str) -> None:
    """Set each quota's min and max (``bounds``: quota id -> (min, max) as typed),
    which categories are sensitive (asked only with consent) and the algorithm."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    _require_open(sel)
    errors, values = {}, {}
    size = sel.assembly.size
    for q in sel.quotas:
        lo_raw, hi_raw = bounds.get(q.id, (str(q.min), str(q.max)))
        try:
            lo, hi = int(str(lo_raw).strip()), int(str(hi_raw).strip())
        except ValueError:
            errors[f"min_{q.id}"] = _("Enter whole numbers for the min and the max.")
            continue
        if lo < 0 or hi < 0 or lo > 100_000 or hi > 100_000:
            errors[f"min_{q.id}"] = _("The min and the max are whole numbers from 0 to the panel size.")
        elif lo > hi:
            errors[f"min_{q.id}"] = _("The min (%(min)d) is above the max (%(max)d).", min=lo, max=hi)
        elif lo > size:
            errors[f"min_{q.id}"] = _("The min (%(min)d) is above the panel size (%(size)d).", min=lo, size=size)
        values[q.id] = (lo, hi)
    if algorithm not in {a.value for a in Algorithm}:
        errors["algorithm"] = _("Choose an algorithm.")
    categories = set(sel.categories())
    if any(c not in categories for c in sensitive):
        errors["sensitive"] = _("Choose among the categories of the form.")
    if errors:
        raise ValidationError(_("Some quotas are not valid."), fields=errors)
    for q in sel.quotas:
        q.min, q.max = values[q.id]
    sel.sensitive = [c for c in sel.categories() if c in set(sensitive)]
    sel.algorithm = Algorithm(algorithm)
    db.session.flush()
    audit.record(actor, "assemblies.quotas_updated", "assembly_selection", sel.id, algorithm=algorithm,
                 sensitive=sel.sensitive)


# --- stage 1: invitations ------------------------------------------------------------

def _addresses(text: str) -> list[dict]:
    try:
        reader = csv.DictReader(io.StringIO(text), strict=True)
        header = {(h or "").strip().lower(): h for h in (reader.fieldnames or [])}
        col = {}
        for key, names in ADDRESS_COLUMNS.items():
            found = next((header[n] for n in names if n in header), None)
            if found is None:
                raise ValidationError(fields={"addresses": _(
                    "The address list needs the columns name, address, postcode and city (or nom, adresse, "
                    "code_postal, ville).")})
            col[key] = found
        rows = []
        for n, row in enumerate(reader, start=2):
            entry = {k: clean_text(row.get(c) or "") for k, c in col.items()}
            if not any(entry.values()):
                continue
            if not entry["address"] or not entry["city"]:
                raise ValidationError(fields={"addresses": _(
                    "Line %(n)d of the address list has no address or no city.", n=n)})
            rows.append(entry)
            if len(rows) > MAX_ADDRESSES:
                raise ValidationError(fields={"addresses": _("The address list has more than %(n)d lines.",
                                                             n=MAX_ADDRESSES)})
    except csv.Error as err:
        raise ValidationError(fields={"addresses": _("The file is not valid CSV: %(error)s", error=str(err))}) from None
    if not rows:
        raise ValidationError(fields={"addresses": _("The address list is empty.")})
    return rows


def reply_code(sel: Selection, position: int) -> str:
    """The reply code printed on letter ``position``: derived from the site's key,
    never stored (the letters can be printed again; the database keeps its hash)."""
    digest = keyed_hash("assembly-reply-code", f"{sel.id}:{position}:{sel.invitation_seed}")
    raw = "".join(CODE_ALPHABET[int(digest[2 * i:2 * i + 2], 16) % len(CODE_ALPHABET)] for i in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == CODE_LENGTH else raw


def code_hash(code: str) -> str:
    return keyed_hash("assembly-reply", normalise_code(code))


def household_key(address: str) -> str | None:
    """A keyed hash of the normalised address: equal for a household, unreadable without the key."""
    norm = " ".join(address.lower().replace(",", " ").split())
    return keyed_hash("assembly-household", norm) if norm else None


def draw_invitations(actor, sel: Selection, raw: str | bytes, count, seed: str) -> list[Invitation]:
    """Stage 1: a uniform sample of ``count`` addresses from the list, drawn from
    the published ``seed``. Only the addresses drawn are stored; the list is not."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    _require_open(sel)
    if sel.invited_at is not None:
        raise InvalidTransition(_("The invitations were already drawn."))
    seed = clean_text(seed or "")
    errors = {}
    try:
        count = int(str(count).strip())
        if count < 1 or count > MAX_ADDRESSES:
            raise ValueError
    except ValueError:
        errors["count"] = _("Enter the number of letters to send, a whole number from 1.")
    if not seed or len(seed) > MAX_SEED:
        errors["seed"] = _("Enter the public seed (at most %(n)d characters), for example a lottery result "
                           "or a number drawn in public.", n=MAX_SEED)
    if errors:
        raise ValidationError(fields=errors)
    rows = _addresses(_text(raw, "addresses"))
    if count > len(rows):
        raise ValidationError(fields={"count": _("The list has only %(n)d addresses.", n=len(rows))})
    sample = selection.sample_uniform(list(range(len(rows))), count, seed)
    sel.invitation_seed, sel.address_count, sel.invited_at = seed, len(rows), utcnow()
    db.session.flush()
    out = []
    for position, row_index in enumerate(sample):
        row = rows[row_index]
        inv = Invitation(selection_id=sel.id, position=position, name=row["name"][:200],
                         address="\n".join([row["address"], f"{row['postcode']} {row['city']}".strip()])[:500],
                         code_hash=code_hash(reply_code(sel, position)))
        db.session.add(inv)
        out.append(inv)
    db.session.flush()
    audit.record(actor, "assemblies.invitations_drawn", "assembly_selection", sel.id, seed=seed,
                 addresses=len(rows), invited=count)
    return out


def invitations(actor, sel: Selection) -> list[tuple[Invitation, str]]:
    """The letters to print: each invitation with its reply code (admins only)."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    rows = db.session.scalars(sa.select(Invitation).where(Invitation.selection_id == sel.id)
                              .order_by(Invitation.position)).all()
    return [(inv, reply_code(sel, inv.position)) for inv in rows]


# --- stage 2: volunteers -----------------------------------------------------------------

def register_interest(actor, sel: Selection, *, code: str, first_name: str, last_name: str = "",
                      email: str = "", phone: str = "", features: dict[str, str], consents: list[str],
                      consent: bool, ip: str = "") -> Volunteer:
    """An invited person (or a mediator for them, by phone or at the town hall)
    registers their interest with the letter's code and answers the feature form.

    Open to anonymous visitors: the reply code is the credential. Sensitive
    categories are recorded only with their own explicit consent."""
    mediator = permissions.can_record_interest(actor, sel)
    require(mediator or permissions.can_register_interest(actor, sel),
            _("Registrations are closed for this assembly."))
    errors = {}
    first_name = clean_text(first_name or "")[:80]
    last_name = clean_text(last_name or "")[:80]
    email = (email or "").strip()[:254]
    phone = clean_text(phone or "")[:40]
    if not first_name:
        errors["first_name"] = _("Enter your first name.")
    if email and ("@" not in email or " " in email or len(email) < 3):
        errors["email"] = _("Enter an email address like name@example.org.")
    if not email and not phone:
        errors["email"] = _("Give an email address or a phone number, so that we can tell you the result.")
    chosen = {}
    for category in sel.categories():
        value = (features.get(category) or "").strip()
        name = f"f{sel.categories().index(category)}"
        if value not in sel.values(category):
            errors[name] = _("Choose an answer for “%(category)s”.", category=category)
        elif category in sel.sensitive and category not in consents:
            errors[f"{name}_consent"] = _("This answer is used only with your consent: tick the box, or you "
                                          "cannot take part in the draw.")
        else:
            chosen[category] = value
    if not consent:
        errors["consent"] = _("Tick the box to agree that your answers are used for the draw.")
    normal = normalise_code(code)
    if len(normal) != CODE_LENGTH + 1:
        errors["code"] = _("Enter the code printed on your letter (10 letters and digits).")
    if errors:
        raise ValidationError(fields=errors)
    inv = db.session.scalar(sa.select(Invitation).where(Invitation.code_hash == code_hash(normal),
                                                        Invitation.selection_id == sel.id))
    if inv is None:
        if not mediator:
            security.require_within(f"assembly-code:{ip}", CODE_TRIES, CODE_WINDOW,
                                    _("Too many wrong codes from this connection: try again in an hour."))
        raise ValidationError(fields={"code": _("This code does not match any letter of this assembly.")})
    if inv.replied_at is not None:
        raise ValidationError(fields={"code": _("This code has already been used to register.")})
    inv.replied_at = utcnow()
    vol = Volunteer(selection_id=sel.id, invitation_id=inv.id, first_name=first_name, last_name=last_name,
                    email=email, phone=phone, household=household_key(inv.address), features=chosen,
                    consent=True, status=VolunteerStatus.POOL,
                    user_id=actor.id if getattr(actor, "is_authenticated", False) and not mediator else None,
                    recorded_by_id=actor.id if mediator else None)
    db.session.add(vol)
    db.session.flush()
    # The audit entry names no feature: it says that someone registered, and who typed it in.
    audit.record(actor if mediator else None, "assemblies.interest_recorded" if mediator
                 else "assemblies.interest_registered", "assembly_selection", sel.id, volunteer_id=vol.id)
    return vol


def import_respondents(actor, sel: Selection, raw: str | bytes) -> int:
    """Add volunteers recruited elsewhere from a respondents file (one column
    per category; ``first_name``, ``last_name``, ``email``, ``phone`` and
    ``address`` used when present, or their French names ``prénom``, ``nom``,
    ``téléphone``, ``adresse``; an address puts the person in a household).
    Returns how many were added."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    _require_open(sel)
    if not sel.quotas:
        raise ValidationError(fields={"respondents": _("Import the categories and quotas first.")})
    text = _text(raw, "respondents")
    try:
        parsed = selection.parse_respondents(text, quota_objects(sel))
        _header, rows = _csv_rows(text)
    except selection.SelectionError as err:
        raise ValidationError(fields={"respondents": str(err)}) from None
    for i, row in enumerate(rows):
        db.session.add(Volunteer(
            selection_id=sel.id, first_name=clean_text(row.get("first_name") or row.get("prénom") or "")[:80],
            last_name=clean_text(row.get("last_name") or row.get("nom") or "")[:80], email=row.get("email", "")[:254],
            phone=clean_text(row.get("phone") or row.get("téléphone") or "")[:40],
            household=household_key(row.get("address") or row.get("adresse") or ""),
            features=parsed.features[i], consent=True, status=VolunteerStatus.POOL))
    db.session.flush()
    audit.record(actor, "assemblies.respondents_imported", "assembly_selection", sel.id, volunteers=len(rows))
    return len(rows)


def _csv_rows(text: str):
    reader = csv.DictReader(io.StringIO(text))
    rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items() if k is not None} for r in reader]
    return reader.fieldnames, rows


def pool_csv(actor, sel: Selection) -> tuple[list[str], list[list[str]]]:
    """The current pool in the respondents format, ids being volunteer numbers (admins only: not anonymised)."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    cats = sel.categories()
    rows = [[str(v.id), *((v.features or {}).get(c, "") for c in cats)] for v in drawing.pool(sel) if v.features]
    return ["id", *cats], rows


# --- the draw ------------------------------------------------------------------------------

def commit(actor, sel: Selection) -> str:
    """Freeze the pool and publish the commitment (sha256) of a new secret seed.

    Refuses quotas that no panel can meet, saying which change would make them
    feasible. Volunteers get pseudonymous ids in a random order (so the file
    says nothing of who registered when). Returns the commitment."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    _require_open(sel)
    size = sel.assembly.size
    volunteers = [v for v in drawing.pool(sel) if v.status == VolunteerStatus.POOL and v.features]
    if not sel.quotas:
        raise ValidationError(_("Import the categories and quotas first."))
    if len(volunteers) < size:
        raise ValidationError(_("The pool has %(n)d volunteers: at least %(size)d are needed for a panel of "
                                "%(size)d.", n=len(volunteers), size=size))
    secrets.SystemRandom().shuffle(volunteers)
    cats = sel.categories()
    width = max(4, len(str(len(volunteers))))
    for n, v in enumerate(volunteers, start=1):
        v.ref = f"P{n:0{width}d}"
    sel.categories_csv = report.categories_csv(quota_objects(sel))
    sel.respondents_csv = report.respondents_csv(cats, [(v.ref, v.features, v.household) for v in volunteers])
    try:
        selection.check_feasible(drawing.frozen_pool(sel), size)
    except selection.Infeasible as err:
        raise ValidationError(drawing.infeasible_message(err)) from None
    sel.seed = secrets.token_hex(16)
    sel.seed_commitment = selection.seed_commitment(sel.seed)
    transition(sel, SELECTION_FLOW, SelectionState.COMMITTED, actor, "assemblies.selection_committed",
               stamp="committed_at", commitment=sel.seed_commitment, pool=len(volunteers))
    db.session.flush()
    return sel.seed_commitment




def start_draw(actor, sel: Selection) -> None:
    """Start the draw of a committed selection: a worker runs it
    (``draw_jobs.draw``), since a maximin over a large pool outlasts a web
    request. Refused while one is already running."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    if sel.state != SelectionState.COMMITTED:
        raise InvalidTransition(_("Publish the seed's commitment before the draw."))
    if sel.draw_requested_at is not None:
        raise InvalidTransition(_("The draw is already running: the report appears here once it is done."))
    sel.draw_requested_at, sel.draw_requested_by_id, sel.draw_error = utcnow(), actor.id, None
    audit.record(actor, "assemblies.draw_started", "assembly_selection", sel.id)
    db.session.flush()
    enqueue(draw_jobs.draw, sel.id)


def draw_replacement(actor, sel: Selection, volunteer_id: int) -> Volunteer:
    """A selected person leaves: draw their replacement among the volunteers not
    selected with the same feature profile (so every quota still holds), with
    the public seed: the n-th replacement takes ``sample_uniform(ids, 1, f"{seed}:replacement:{n}")``
    over the candidates' pseudonymous ids in sorted order."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    if sel.state != SelectionState.DRAWN:
        raise InvalidTransition(_("Replacements are drawn after the draw and before the selection closes."))
    leaving = db.session.get(Volunteer, volunteer_id)
    if leaving is None or leaving.selection_id != sel.id or leaving.status != VolunteerStatus.SELECTED:
        raise ValidationError(fields={"volunteer_id": _("Choose a selected member.")})
    homes = {v.household for v in drawing.pool(sel) if v.status == VolunteerStatus.SELECTED and v.household
             and v.id != leaving.id}
    candidates = sorted((v for v in drawing.pool(sel) if v.status == VolunteerStatus.NOT_SELECTED
                         and v.features == leaving.features and v.ref and (not v.household or v.household not in homes)),
                        key=lambda v: v.ref)
    if not candidates:
        raise ValidationError(fields={"volunteer_id": _(
            "No volunteer left in the pool has the same profile: the quotas could not hold with a replacement.")})
    n = sel.replacements + 1
    ref = selection.sample_uniform([v.ref for v in candidates], 1, f"{sel.seed}:replacement:{n}")[0]
    incoming = next(v for v in candidates if v.ref == ref)
    now = utcnow()
    leaving.status = VolunteerStatus.WITHDRAWN
    member = db.session.get(Member, leaving.member_id) if leaving.member_id else None
    if member is not None:
        member.left_at = now
    drawing.make_member(sel, incoming, now)
    sel.replacements = n
    figures = dict(sel.report or {})
    figures["replacements"] = [*figures.get("replacements", []), {"n": n, "out": leaving.ref, "in": incoming.ref,
                                                                  "candidates": len(candidates)}]
    sel.report = figures
    db.session.flush()
    audit.record(actor, "assemblies.replacement_drawn", "assembly_selection", sel.id, n=n, out=leaving.ref,
                 incoming=incoming.ref)
    return incoming


def close_selection(actor, sel: Selection) -> None:
    """End the selection: the retention delay for the pool's data starts now."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    transition(sel, SELECTION_FLOW, SelectionState.CLOSED, actor, "assemblies.selection_closed", stamp="closed_at")
    db.session.flush()
