"""Participatory budgets: the only writers of budget data.

Every function takes the actor as an argument (a User, or None for jobs),
checks permission first, validates, changes rows, records the audit entry and
the outbox mails, and flushes: the caller commits once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from civic.accounts.models import District, Role, User, Verification
from civic.core import audit, content, phases
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.follows import followers
from civic.core.images import web_image
from civic.core.outbox import queue_mail
from civic.core.permissions import require_contributor, require_login, require_role
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db

from .models import (
    Ballot,
    BallotChannel,
    BudgetEdition,
    BudgetResult,
    Envelope,
    ImplementationStatus,
    PaperVoter,
    Project,
    ProjectImage,
    ProjectStatus,
    ProjectUpdate,
    ResultsStatus,
    SelectionRule,
    VoteRule,
)

KIND = "budget"
PROJECT_KIND = "project"
PHASE_CODES = ("information", "submission", "review", "voting", "results", "implementation")
PHASE_CAPABILITIES = {"submission": ("submit", "comment"), "review": ("comment",), "voting": ("vote", "comment"),
                      "information": ("comment",), "results": ("comment",), "implementation": ("comment",)}


def phase_label(code: str) -> str:
    return {
        "information": _("Information"),
        "submission": _("Submission of projects"),
        "review": _("Feasibility review"),
        "voting": _("Voting"),
        "results": _("Results"),
        "implementation": _("Implementation"),
    }.get(code, code)


# --- permissions -------------------------------------------------------------------

def is_official_for(user, district_id: int | None) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.OFFICIAL, district_id)


def _require_official(actor, district_id: int | None) -> None:
    require_role(actor, Role.OFFICIAL, district_id)


# --- editions, envelopes, rules, phases --------------------------------------------

@dataclass
class RuleParams:
    vote_rule: VoteRule
    selection_rule: SelectionRule
    min_choices: int | None = None
    max_choices: int | None = None
    min_spend_percent: int | None = None
    points_total: int | None = None
    points_max_per_project: int | None = None
    rank_max: int | None = None


def _validate_rules(p: RuleParams) -> dict:
    """Check the parameters the ballot rule needs; returns the columns to set."""
    errors = {}
    try:
        vote_rule = VoteRule(p.vote_rule)
    except ValueError:
        raise ValidationError(fields={"vote_rule": _("Choose a voting rule from the list.")}) from None
    try:
        selection_rule = SelectionRule(p.selection_rule)
    except ValueError:
        raise ValidationError(fields={"selection_rule": _("Choose a counting rule from the list.")}) from None
    cols = {"vote_rule": vote_rule, "selection_rule": selection_rule, "min_choices": None, "max_choices": None,
            "min_spend_percent": None, "points_total": None, "points_max_per_project": None, "rank_max": None}
    if vote_rule == VoteRule.APPROVAL:
        lo, hi = p.min_choices or 1, p.max_choices
        if lo < 1:
            errors["min_choices"] = _("The minimum number of projects is at least 1.")
        if hi is not None and hi < lo:
            errors["max_choices"] = _("The maximum cannot be lower than the minimum.")
        cols.update(min_choices=lo, max_choices=hi)
    elif vote_rule == VoteRule.KNAPSACK:
        pct = p.min_spend_percent
        if pct is not None and not 0 <= pct <= 100:
            errors["min_spend_percent"] = _("Give a percentage between 0 and 100.")
        cols.update(min_spend_percent=pct)
    elif vote_rule == VoteRule.CUMULATIVE:
        total, most = p.points_total, p.points_max_per_project
        if not total or total < 1:
            errors["points_total"] = _("Give the number of points each voter distributes.")
        elif most is not None and not 1 <= most <= total:
            errors["points_max_per_project"] = _("Between 1 and the number of points to distribute.")
        cols.update(points_total=total, points_max_per_project=most or total)
    elif vote_rule == VoteRule.RANKING:
        if not p.rank_max or p.rank_max < 1:
            errors["rank_max"] = _("Give how many projects a voter may rank.")
        cols.update(rank_max=p.rank_max)
    if errors:
        raise ValidationError(fields=errors)
    return cols


def _phase_specs(starts: dict[str, datetime], ends_at: datetime | None) -> list[phases.PhaseSpec]:
    codes = [c for c in PHASE_CODES if starts.get(c)]
    specs = []
    for i, code in enumerate(codes):
        end = starts[codes[i + 1]] if i + 1 < len(codes) else ends_at
        specs.append(phases.PhaseSpec(code=code, title=phase_label(code), starts_at=starts[code], ends_at=end,
                                      capabilities=PHASE_CAPABILITIES[code]))
    return specs


def create_edition(actor, *, title: str, description: str, total_amount: int, currency: str = "EUR",
                   rules: RuleParams, phase_starts: dict[str, datetime], ends_at: datetime | None = None) -> BudgetEdition:
    """Create a budget edition with its rules and dated phases (city-wide officials)."""
    _require_official(actor, None)
    errors = {}
    title = clean_text(title)
    if not title:
        errors["title"] = _("Give the edition a title.")
    if total_amount is None or total_amount <= 0:
        errors["total_amount"] = _("Give the total amount, in whole currency units.")
    currency = clean_text(currency).upper() or "EUR"
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = _("Use a three-letter currency code such as EUR.")
    if not phase_starts.get("voting"):
        errors["voting"] = _("Give the date voting opens.")
    if not phase_starts.get("results"):
        errors["results"] = _("Give the date voting closes and results are computed.")
    if errors:
        raise ValidationError(fields=errors)
    cols = _validate_rules(rules)
    edition = BudgetEdition(title=title, description_html=render_markdown(description), total_amount=total_amount,
                            currency=currency, paper_salt=secrets.token_hex(16),
                            created_by_id=getattr(actor, "id", None), **cols)
    db.session.add(edition)
    db.session.flush()
    phases.set_phases(actor, KIND, edition.id, _phase_specs(phase_starts, ends_at))
    audit.record(actor, "budget.created", KIND, edition.id, rule=edition.vote_rule.value,
                 counting=edition.selection_rule.value)
    content.created(KIND, edition, actor)
    return edition


def update_rules(actor, edition: BudgetEdition, rules: RuleParams) -> None:
    """Change the voting and counting rules; impossible once voting has opened."""
    _require_official(actor, None)
    if edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the rules are frozen and cannot change."))
    cols = _validate_rules(rules)
    before = {"rule": edition.vote_rule.value, "counting": edition.selection_rule.value}
    for k, v in cols.items():
        setattr(edition, k, v)
    db.session.flush()
    audit.record(actor, "budget.rules_changed", KIND, edition.id, before=before,
                 after={"rule": edition.vote_rule.value, "counting": edition.selection_rule.value})


def set_envelope(actor, edition: BudgetEdition, district_id: int | None, amount: int) -> Envelope:
    """Add or change a district (or city-wide) envelope before voting opens."""
    _require_official(actor, None)
    if edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the envelopes cannot change."))
    if amount is None or amount <= 0:
        raise ValidationError(fields={"amount": _("Give the envelope's amount.")})
    if district_id is not None and db.session.get(District, district_id) is None:
        raise ValidationError(fields={"district_id": _("Choose a district from the list.")})
    envelope = next((e for e in edition.envelopes if e.district_id == district_id), None)
    others = sum(e.amount for e in edition.envelopes if e is not envelope)
    if others + amount > edition.total_amount:
        raise ValidationError(fields={"amount": _("The envelopes would exceed the edition's total amount.")})
    if envelope is None:
        envelope = Envelope(edition=edition, district_id=district_id, amount=amount)
        db.session.add(envelope)
    else:
        envelope.amount = amount
    db.session.flush()
    audit.record(actor, "budget.envelope_set", KIND, edition.id, district_id=district_id, amount=amount)
    return envelope


def move_phase(actor, edition: BudgetEdition, phase_id: int, reason: str) -> None:
    """Admins move the current phase by hand (audited by the phase machinery)."""
    phases.move_phase(actor, KIND, edition.id, phase_id, reason)


def current_phase_code(edition: BudgetEdition) -> str | None:
    p = phases.current_phase(KIND, edition.id)
    return p.code if p else None


def on_phase_changed(edition: BudgetEdition, old_code: str | None, new_code: str) -> None:
    """Phase hook: freeze the rules when voting opens; compute when it closes."""
    from .jobs import compute_results_job

    if new_code == "voting" and edition.rules_frozen_at is None:
        edition.rules_frozen_at = utcnow()
        audit.record(None, "budget.rules_frozen", KIND, edition.id, rule=edition.vote_rule.value,
                     counting=edition.selection_rule.value)
    if old_code == "voting" and new_code != "voting":
        if edition.rules_frozen_at is None:  # voting skipped over by hand: still frozen from now on
            edition.rules_frozen_at = utcnow()
        from civic.core.jobs import enqueue

        enqueue(compute_results_job, edition.id)
    db.session.flush()


# --- projects -------------------------------------------------------------------------

def _validate_project_fields(edition, envelope_id, title, description, estimated_cost, location):
    errors = {}
    title = clean_text(title)
    if not title:
        errors["title"] = _("Give your project a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if not clean_text(description, multiline=True):
        errors["description"] = _("Describe the project: what, where, for whom.")
    envelope = next((e for e in edition.envelopes if e.id == envelope_id), None)
    if envelope is None:
        errors["envelope_id"] = _("Choose where the project takes place.")
    if estimated_cost is None or estimated_cost <= 0:
        errors["estimated_cost"] = _("Give an estimated cost, in whole currency units.")
    elif envelope is not None and estimated_cost > envelope.amount:
        errors["estimated_cost"] = _("The cost is higher than the whole envelope (%(amount)s).",
                                     amount=_money(envelope.amount, edition.currency))
    location = clean_text(location)
    if len(location) > 200:
        errors["location"] = _("Keep the location under 200 characters.")
    if errors:
        raise ValidationError(fields=errors)
    return title, envelope, location


def _money(value, currency):
    from .explain import money

    return money(value, currency)


def submit_project(actor, edition: BudgetEdition, *, envelope_id: int, title: str, description: str,
                   estimated_cost: int | None, location: str = "", image: bytes | None = None,
                   image_alt: str = "") -> Project:
    """A resident proposes a project during the submission phase; officials of
    the district can add one until voting opens."""
    require_contributor(actor)
    title, envelope, location = _validate_project_fields(edition, envelope_id, title, description,
                                                         estimated_cost, location)
    official = is_official_for(actor, envelope.district_id)
    if not phases.allows(KIND, edition.id, "submit") and not (official and not edition.rules_frozen):
        raise PermissionDenied(_("Projects can only be submitted during the submission phase."))
    project = Project(edition_id=edition.id, envelope_id=envelope.id, author_id=actor.id, title=title,
                      description=clean_text(description, multiline=True),
                      description_html=render_markdown(description), location=location,
                      estimated_cost=estimated_cost)
    db.session.add(project)
    db.session.flush()
    if image:
        set_project_image(actor, project, image, image_alt)
    audit.record(actor, "budget.project_submitted", PROJECT_KIND, project.id, edition_id=edition.id)
    content.created(PROJECT_KIND, project, actor)
    return project


def create_project_from(actor, edition: BudgetEdition, title: str, description: str, district_id: int | None,
                        *, source_kind: str, source_id: int) -> Project:
    """Hook for other modules: an accepted proposal becomes a project of this
    edition, in its district's envelope (else the city-wide one). The city's
    feasibility review follows as for any project and sets the real cost; until
    then the estimate is 0, and only reviewed projects reach the ballot."""
    _require_official(actor, district_id)
    if edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    envelope = next((e for e in edition.envelopes if e.district_id == district_id), None) or next(
        (e for e in edition.envelopes if e.district_id is None), None)
    if envelope is None:
        raise ValidationError(_("This budget has no envelope for this district."))
    title = clean_text(title)[:200]
    project = Project(edition_id=edition.id, envelope_id=envelope.id, author_id=actor.id, title=title,
                      description=clean_text(description, multiline=True),
                      description_html=render_markdown(description), estimated_cost=0)
    db.session.add(project)
    db.session.flush()
    audit.record(actor, "budget.project_from", PROJECT_KIND, project.id, edition_id=edition.id,
                 source_kind=source_kind, source_id=source_id)
    content.created(PROJECT_KIND, project, actor)
    return project


def set_project_image(actor, project: Project, raw: bytes, alt: str = "") -> None:
    """Attach (or replace) the project's image, resized under 200 KB."""
    require_login(actor)
    if actor.id != project.author_id and not is_official_for(actor, project.envelope.district_id):
        raise PermissionDenied()
    image = web_image(raw)
    data, ctype, w, h = image.data, image.content_type, image.width, image.height
    row = db.session.get(ProjectImage, project.id)
    if row is None:
        row = ProjectImage(project_id=project.id, data=data, content_type=ctype, width=w, height=h)
        db.session.add(row)
    else:
        row.data, row.content_type, row.width, row.height = data, ctype, w, h
        row.updated_at = utcnow()
    row.alt = clean_text(alt)[:200]
    project.has_image = True
    db.session.flush()


def _notify_author(project: Project, template: str, subject) -> None:
    author = project.author
    if author is None or not author.email or author.deleted_at is not None:
        return
    queue_mail(author.email, subject, template,
               {"user": author, "project": project, "url": absolute_url("budgets.project", project_id=project.id),
                "currency": project.edition.currency},
               user=author)


def review_project(actor, project: Project, *, feasible: bool, reason: str, final_cost: int | None) -> None:
    """Feasibility review by an official: public reason, final cost; the author is told."""
    _require_official(actor, project.envelope.district_id)
    if project.edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    reason = clean_text(reason, multiline=True)
    errors = {}
    if not feasible and not reason:
        errors["reason"] = _("Explain publicly why the project is not feasible.")
    if feasible:
        cost = final_cost if final_cost is not None else project.estimated_cost
        if cost <= 0:
            errors["final_cost"] = _("Give the cost set by the city.")
        elif cost > project.envelope.amount:
            errors["final_cost"] = _("The cost is higher than the whole envelope.")
    if errors:
        raise ValidationError(fields=errors)
    project.set_status(ProjectStatus.FEASIBLE if feasible else ProjectStatus.UNFEASIBLE)
    project.review_reason = reason or None
    project.final_cost = cost if feasible else project.final_cost
    project.reviewed_at = utcnow()
    db.session.flush()
    audit.record(actor, "budget.project_reviewed", PROJECT_KIND, project.id, reason=reason or None,
                 feasible=feasible, final_cost=project.final_cost)
    _notify_author(project, "budgets/project_reviewed",
                   (lambda: _("Your project has been reviewed")) if feasible
                   else (lambda: _("Your project cannot go to the vote")))


def merge_project(actor, project: Project, into: Project, note: str) -> None:
    """Merge a project into a similar one, with a public note; the author is told."""
    _require_official(actor, project.envelope.district_id)
    if project.edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    note = clean_text(note, multiline=True)
    errors = {}
    if into is None or into.id == project.id or into.envelope_id != project.envelope_id:
        errors["into_id"] = _("Choose another project of the same envelope.")
    elif into.status == ProjectStatus.MERGED:
        errors["into_id"] = _("This project was itself merged: choose the one it was merged into.")
    if not note:
        errors["note"] = _("Explain publicly why the projects are merged.")
    if errors:
        raise ValidationError(fields=errors)
    project.merged_into_id = into.id
    project.set_status(ProjectStatus.MERGED)
    project.review_reason = note
    project.reviewed_at = utcnow()
    db.session.flush()
    audit.record(actor, "budget.project_merged", PROJECT_KIND, project.id, reason=note, into=into.id)
    _notify_author(project, "budgets/project_merged", lambda: _("Your project has been merged with another one"))


def set_project_hidden(project: Project, hidden: bool) -> None:
    """Moderation hook: hidden projects leave public pages, lists and the API."""
    project.hidden = hidden
    db.session.flush()


def redact_project(project: Project, new_text: str) -> None:
    """Moderation hook: replace the description (personal data edited out)."""
    project.description = clean_text(new_text, multiline=True)
    project.description_html = render_markdown(new_text)
    db.session.flush()


def visible_projects_query(edition_id: int, user=None):
    stmt = sa.select(Project).where(Project.edition_id == edition_id)
    if not (getattr(user, "is_authenticated", False) and user.has_any_role(Role.MODERATOR)):
        stmt = stmt.where(Project.hidden.is_(False))
    return stmt


def ballot_projects(envelope: Envelope) -> list[Project]:
    """Projects on the ballot of an envelope, in a stable order (also the
    tie-break order of the rules and the order of the .pb export)."""
    return db.session.scalars(sa.select(Project).where(
        Project.envelope_id == envelope.id, Project.status == ProjectStatus.FEASIBLE,
        Project.hidden.is_(False)).order_by(Project.id)).all()


# --- ballots --------------------------------------------------------------------------

@dataclass
class Feedback:
    """What the ballot page shows as the voter chooses (computed on the server,
    mirrored by the optional script)."""

    chosen: int = 0
    total_cost: int = 0
    remaining: int | None = None
    points_used: int = 0
    points_left: int | None = None
    errors: dict = field(default_factory=dict)


def ballot_feedback(edition: BudgetEdition, envelope: Envelope, projects: list[Project],
                    project_ids: list[int], points: list[int] | None = None) -> Feedback:
    """Check a choice against the edition's rule without saving it."""
    by_id = {p.id: p for p in projects}
    fb = Feedback(chosen=len(project_ids))
    fb.total_cost = sum(by_id[i].cost for i in project_ids if i in by_id)
    errors = fb.errors
    if any(i not in by_id for i in project_ids):
        errors["ballot"] = _("One of the projects chosen is not on this ballot.")
    if len(set(project_ids)) != len(project_ids):
        errors["ballot"] = _("A project is chosen twice.")
    rule = edition.vote_rule
    if rule == VoteRule.APPROVAL:
        lo, hi = edition.min_choices or 1, edition.max_choices
        if len(project_ids) < lo:
            errors.setdefault("ballot", ngettext("Choose at least %(num)d project.", "Choose at least %(num)d projects.", lo))
        elif hi is not None and len(project_ids) > hi:
            errors.setdefault("ballot", ngettext("Choose at most %(num)d project.", "Choose at most %(num)d projects.", hi))
    elif rule == VoteRule.KNAPSACK:
        fb.remaining = envelope.amount - fb.total_cost
        if not project_ids:
            errors.setdefault("ballot", _("Choose at least one project."))
        elif fb.remaining < 0:
            errors.setdefault("ballot", _("Your choice costs %(total)s, more than the %(amount)s available: remove a project.",
                                          total=_money(fb.total_cost, edition.currency),
                                          amount=_money(envelope.amount, edition.currency)))
        elif edition.min_spend_percent and fb.total_cost * 100 < envelope.amount * edition.min_spend_percent:
            errors.setdefault("ballot", _("Spend at least %(pct)d%% of the envelope (%(min)s).",
                                          pct=edition.min_spend_percent,
                                          min=_money(-(-envelope.amount * edition.min_spend_percent // 100),
                                                     edition.currency)))
    elif rule == VoteRule.CUMULATIVE:
        pts = list(points or [])
        fb.points_used = sum(p for p in pts if isinstance(p, int) and p > 0)
        fb.points_left = (edition.points_total or 0) - fb.points_used
        most = edition.points_max_per_project or edition.points_total
        if len(pts) != len(project_ids) or any(not isinstance(p, int) or p < 1 for p in pts):
            errors.setdefault("ballot", _("Give whole numbers of points (or leave the box empty)."))
        elif any(p > most for p in pts):
            errors.setdefault("ballot", _("At most %(most)d points per project.", most=most))
        elif not project_ids:
            errors.setdefault("ballot", _("Give points to at least one project."))
        elif fb.points_left < 0:
            errors.setdefault("ballot", _("You gave %(used)d points but have %(total)d.",
                                          used=fb.points_used, total=edition.points_total))
    elif rule == VoteRule.RANKING:
        if not project_ids:
            errors.setdefault("ballot", _("Choose at least your first choice."))
        elif len(project_ids) > (edition.rank_max or 0):
            errors.setdefault("ballot", _("Rank at most %(num)d projects.", num=edition.rank_max))
    return fb


def voting_problem(user, envelope: Envelope) -> str | None:
    """Why ``user`` cannot vote in ``envelope`` now (None if they can)."""
    if not getattr(user, "is_authenticated", False):
        return _("Log in to vote.")
    if user.is_blocked:
        return _("Your account is blocked: you can read and appeal, but not contribute.")
    if not user.email_confirmed:
        return _("Please confirm your email address first: we sent you a link.")
    if not phases.allows(KIND, envelope.edition_id, "vote"):
        return _("Voting is not open.")
    if not user.is_verified_for(envelope.district_id):
        if envelope.district_id is None:
            return _("Only verified residents can vote. You can verify that you live here from your account.")
        return _("Only verified residents of %(district)s can vote in this envelope.", district=envelope.district.name)
    return None


def _lock_voting(edition: BudgetEdition) -> None:
    """Take the lock under which the final checks of a ballot run.

    PostgreSQL: share-lock the edition's current phase row; closing the vote
    updates that row, so it waits for ballots being cast, and no ballot reads
    "open" after the close committed. SQLite: a write takes the database
    write lock, and later reads in the transaction see the latest state.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(phases.Phase.id).where(
            phases.Phase.owner_kind == KIND, phases.Phase.owner_id == edition.id,
            phases.Phase.is_current.is_(True)).with_for_update(read=True))
    else:
        db.session.execute(sa.update(BudgetEdition).where(BudgetEdition.id == edition.id)
                           .values(id=BudgetEdition.id))


def _choice_summary(edition, projects_by_id, project_ids, points):
    rows = []
    for i, pid in enumerate(project_ids):
        p = projects_by_id[pid]
        rows.append({"title": p.title, "cost": p.cost, "points": points[i] if points else None, "rank": i + 1})
    return rows


def cast_ballot(actor, envelope: Envelope, project_ids: list[int], points: list[int] | None = None) -> Ballot:
    """Cast or change the voter's ballot in ``envelope``; only the last one counts.

    The eligibility, phase and rule checks run again under the voting lock;
    the database keeps one ballot per person per envelope. A confirmation
    mail lists the choices.
    """
    require_contributor(actor)
    edition = envelope.edition
    _lock_voting(edition)
    problem = voting_problem(actor, envelope)
    if problem:
        raise PermissionDenied(problem)
    projects = ballot_projects(envelope)
    if edition.vote_rule != VoteRule.CUMULATIVE:
        points = None
    fb = ballot_feedback(edition, envelope, projects, project_ids, points)
    if fb.errors:
        raise ValidationError(fields=fb.errors)
    now = utcnow()
    mine = sa.select(Ballot).where(Ballot.envelope_id == envelope.id, Ballot.user_id == actor.id).with_for_update()
    ballot = db.session.scalar(mine)
    created = False
    if ballot is None:
        ballot = Ballot(envelope_id=envelope.id, user_id=actor.id, channel=BallotChannel.ONLINE,
                        project_ids=list(project_ids), points=points, created_at=now, updated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(ballot)
            created = True
        except sa.exc.IntegrityError:
            # The same person submitted twice at once: the other insert won; update it.
            ballot = db.session.scalar(mine)
    if not created:
        if ballot.channel == BallotChannel.PAPER:
            raise PermissionDenied(_("You voted on paper at the town hall: this ballot cannot be changed online."))
        ballot.project_ids = list(project_ids)
        ballot.points = points
        ballot.version += 1
        ballot.updated_at = now
    db.session.flush()
    audit.record(actor, "budget.ballot_cast", KIND, edition.id, envelope_id=envelope.id, version=ballot.version)
    by_id = {p.id: p for p in projects}
    queue_mail(actor.email, lambda: _("Your vote is recorded"), "budgets/ballot_confirmation",
               {"user": actor, "edition": edition, "envelope_name": envelope.name, "version": ballot.version,
                "choices": _choice_summary(edition, by_id, project_ids, points), "rule": edition.vote_rule.value,
                "url": absolute_url("budgets.vote", edition_id=edition.id, envelope_id=envelope.id)},
               user=actor)
    return ballot


def my_ballot(user, envelope: Envelope) -> Ballot | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Ballot).where(Ballot.envelope_id == envelope.id, Ballot.user_id == user.id))


def paper_fingerprint(edition: BudgetEdition, last_name: str, first_name: str, birth_date: date, postcode: str) -> str:
    """Salted hash of the paper voter's identity, normalised like the census
    verifier does (accents, case and punctuation ignored)."""
    from civic.accounts.services import census_fingerprint

    return census_fingerprint(edition.paper_salt, last_name, first_name, birth_date, postcode)


def enter_paper_ballot(actor, envelope: Envelope, *, reference: str, last_name: str, first_name: str,
                       birth_date: date | None, postcode: str, project_ids: list[int],
                       points: list[int] | None = None, email: str = "") -> Ballot:
    """A mediator records a paper ballot collected at a counter.

    The voter is identified by an account (``email``: they can no longer vote
    online, by the same unique constraint) or, without an account, by a
    salted fingerprint of name, birth date and postcode (they cannot vote
    twice on paper). Counted like online ballots; audited with the reference.
    """
    require_role(actor, Role.MEDIATOR, envelope.district_id)
    edition = envelope.edition
    _lock_voting(edition)
    if not phases.allows(KIND, edition.id, "vote"):
        raise InvalidTransition(_("Voting is not open."))
    errors = {}
    reference = clean_text(reference)
    if not reference:
        errors["reference"] = _("Give the number written on the paper ballot.")
    elif len(reference) > 60:
        errors["reference"] = _("Keep the reference under 60 characters.")
    if not clean_text(last_name):
        errors["last_name"] = _("Enter the voter's last name.")
    if not clean_text(first_name):
        errors["first_name"] = _("Enter the voter's first name.")
    if birth_date is None:
        errors["birth_date"] = _("Enter the voter's date of birth as YYYY-MM-DD.")
    if not clean_text(postcode):
        errors["postcode"] = _("Enter the voter's postcode.")
    user = None
    if clean_text(email):
        from civic.accounts.services import find_user_by_email

        user = find_user_by_email(email)
        if user is None:
            errors["email"] = _("No account uses this address. Leave it empty for a voter without an account.")
        elif envelope.district_id is not None and not user.is_verified_for(envelope.district_id):
            errors["email"] = _("This person is not a verified resident of %(district)s.",
                                district=envelope.district.name)
    if errors:
        raise ValidationError(fields=errors)
    projects = ballot_projects(envelope)
    if edition.vote_rule != VoteRule.CUMULATIVE:
        points = None
    fb = ballot_feedback(edition, envelope, projects, project_ids, points)
    if fb.errors:
        raise ValidationError(fields=fb.errors)
    if db.session.scalar(sa.select(Ballot.id).where(Ballot.envelope_id == envelope.id,
                                                    Ballot.paper_reference == reference)):
        raise ValidationError(fields={"reference": _("A paper ballot with this reference is already recorded.")})
    fingerprint = paper_fingerprint(edition, last_name, first_name, birth_date, postcode)
    voter = db.session.scalar(sa.select(PaperVoter).where(PaperVoter.edition_id == edition.id,
                                                          PaperVoter.fingerprint == fingerprint))
    if voter is None:
        voter = PaperVoter(edition_id=edition.id, fingerprint=fingerprint)
        db.session.add(voter)
        db.session.flush()
    ballot = Ballot(envelope_id=envelope.id, user_id=user.id if user else None, paper_voter_id=voter.id,
                    channel=BallotChannel.PAPER, paper_reference=reference, entered_by_id=actor.id,
                    project_ids=list(project_ids), points=points)
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
    except sa.exc.IntegrityError:
        raise ValidationError(fields={"last_name": _("This person has already voted in this envelope.")}) from None
    audit.record(actor, "budget.paper_ballot_entered", KIND, edition.id, envelope_id=envelope.id,
                 reference=reference, ballot_id=ballot.id, with_account=user is not None)
    return ballot


def turnout(edition: BudgetEdition) -> list[dict]:
    """Ballots per envelope and the share of verified residents who voted.
    Counts only: never the running results."""
    counts = dict(db.session.execute(sa.select(Ballot.envelope_id, sa.func.count()).join(Envelope).where(
        Envelope.edition_id == edition.id).group_by(Ballot.envelope_id)).all())
    verified = dict(db.session.execute(sa.select(Verification.district_id, sa.func.count()).where(
        Verification.revoked_at.is_(None)).group_by(Verification.district_id)).all())
    rows = []
    for e in edition.envelopes:
        eligible = sum(verified.values()) if e.district_id is None else verified.get(e.district_id, 0)
        n = counts.get(e.id, 0)
        rows.append({"envelope": e, "ballots": n, "eligible": eligible,
                     "percent": round(100 * n / eligible, 1) if eligible else None})
    return rows


# --- results ----------------------------------------------------------------------------

PB_VOTE_TYPES = {VoteRule.APPROVAL: "approval", VoteRule.KNAPSACK: "approval",
                 VoteRule.CUMULATIVE: "cumulative", VoteRule.RANKING: "ordinal"}
PB_RULES = {SelectionRule.GREEDY: "greedy", SelectionRule.GREEDY_STOP: "greedy",
            SelectionRule.EQUAL_SHARES: "equalshares/add1"}


def build_election(envelope: Envelope, *, with_selected: bool = False):
    """The envelope's vote as a pabulib election: feasible projects (in id
    order) and anonymised ballots. Results are computed from this very object,
    and the open-data export writes it, so anyone recomputes the same outcome."""
    from . import pabulib

    edition = envelope.edition
    projects = ballot_projects(envelope)
    on_ballot = {p.id for p in projects}
    selected = set()
    if with_selected:
        result = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                                 BudgetResult.rule == edition.selection_rule))
        selected = set(result.selected) if result else set()
    meta = {
        "description": f"Participatory budget: {edition.title}",
        "unit": current_app.config.get("SITE_NAME", "Civic"),
        "subunit": envelope.district.name if envelope.district else "city-wide",
        "instance": edition.title,
        "num_projects": str(len(projects)),
        "num_votes": "0",
        "budget": str(envelope.amount),
        "vote_type": PB_VOTE_TYPES[edition.vote_rule],
        "rule": PB_RULES[edition.selection_rule],
        "currency": edition.currency,
    }
    if edition.vote_rule == VoteRule.APPROVAL:
        meta["min_length"] = str(edition.min_choices or 1)
        if edition.max_choices:
            meta["max_length"] = str(edition.max_choices)
    elif edition.vote_rule == VoteRule.KNAPSACK:
        meta["max_sum_cost"] = str(envelope.amount)
    elif edition.vote_rule == VoteRule.CUMULATIVE:
        meta["max_sum_points"] = str(edition.points_total)
        meta["max_points"] = str(edition.points_max_per_project or edition.points_total)
    elif edition.vote_rule == VoteRule.RANKING:
        meta["max_length"] = str(edition.rank_max)
    pb_projects = {}
    for p in projects:
        pb_projects[str(p.id)] = pabulib.Project(
            id=str(p.id), cost=p.cost, name=p.title, fields={"category": p.category or "None"},
            selected=(str(p.id) in selected) if with_selected else None)
    rows = db.session.execute(sa.select(Ballot.project_ids, Ballot.points).where(
        Ballot.envelope_id == envelope.id)).all()
    cumulative = edition.vote_rule == VoteRule.CUMULATIVE
    ballots = []
    for ids, pts in rows:
        keep = [(i, (pts[n] if cumulative and pts else None)) for n, i in enumerate(ids or []) if i in on_ballot]
        if keep:
            ballots.append(keep)
    # Sorted by content, not by time or id: the file reveals nothing about who voted when.
    ballots.sort(key=lambda b: [(i, x or 0) for i, x in b])
    votes = []
    for n, b in enumerate(ballots, start=1):
        votes.append(pabulib.Vote(voter_id=str(n), projects=[str(i) for i, _x in b],
                                  points=[x for _i, x in b] if cumulative else None))
    meta["num_votes"] = str(len(votes))
    return pabulib.Election(meta=meta, projects=pb_projects, votes=votes)


def compute_results(edition: BudgetEdition) -> None:
    """Compute the official rule and the comparison rule for every envelope.
    Idempotent; published results are never recomputed."""
    from . import rules

    if edition.results_status == ResultsStatus.PUBLISHED:
        return
    for envelope in edition.envelopes:
        election = build_election(envelope)
        scores = rules.election_scores(election)
        supporters = {pid: 0 for pid in election.projects}
        for v in election.votes:
            for pid in set(v.projects):
                supporters[pid] += 1
        for rule, official in ((edition.selection_rule, True), (edition.other_rule, False)):
            started = time.perf_counter()
            outcome = rules.compute(election, rule.value).to_dict()
            seconds = time.perf_counter() - started
            row = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                                  BudgetResult.rule == rule))
            if row is None:
                row = BudgetResult(envelope_id=envelope.id, rule=rule)
                db.session.add(row)
            row.official = official
            row.selected = outcome["selected"]
            row.explanations = outcome["explanations"]
            row.scores = {k: float(v) if not float(v).is_integer() else int(v) for k, v in scores.items()}
            row.supporters = supporters
            row.ballots = len(election.votes)
            row.budget = envelope.amount
            row.spent = float(outcome["spent"])
            row.seconds = seconds
            row.computed_at = utcnow()
    edition.set_results_status(ResultsStatus.COMPUTED)
    edition.results_computed_at = utcnow()
    db.session.flush()
    audit.record(None, "budget.results_computed", KIND, edition.id)


def publish_results(actor, edition: BudgetEdition) -> None:
    """An official publishes computed results: selected projects are marked and
    enter implementation tracking; authors of projects on the ballot are told."""
    _require_official(actor, None)
    apply_publication(edition, actor)


def apply_publication(edition: BudgetEdition, actor) -> None:
    """Publish without a permission check: for :func:`publish_results` and for
    the importer of past elections (run by the system from the command line)."""
    if edition.results_status != ResultsStatus.COMPUTED:
        raise InvalidTransition(_("There are no computed results to publish."))
    results = {r.envelope_id: r for r in db.session.scalars(sa.select(BudgetResult).join(Envelope).where(
        Envelope.edition_id == edition.id, BudgetResult.rule == edition.selection_rule)).all()}
    for envelope in edition.envelopes:
        chosen = set(results[envelope.id].selected) if envelope.id in results else set()
        for p in ballot_projects(envelope):
            p.selected = str(p.id) in chosen
            if p.selected and p.implementation_status is None:
                p.implementation_status = ImplementationStatus.PLANNED
            if p.author is not None and p.author.email and p.author.deleted_at is None:
                queue_mail(p.author.email, lambda: _("The results of the participatory budget are published"),
                           "budgets/results_published",
                           {"user": p.author, "project": p, "edition": edition,
                            "url": absolute_url("budgets.results", edition_id=edition.id)},
                           user=p.author, dedupe_key=f"budget-results:{edition.id}:{p.id}")
    edition.set_results_status(ResultsStatus.PUBLISHED)
    edition.results_published_at = utcnow()
    edition.published_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "budget.results_published", KIND, edition.id)


def results_for(edition: BudgetEdition) -> dict[int, dict[SelectionRule, BudgetResult]]:
    out: dict[int, dict] = {}
    for r in db.session.scalars(sa.select(BudgetResult).join(Envelope).where(Envelope.edition_id == edition.id)):
        out.setdefault(r.envelope_id, {})[r.rule] = r
    return out


def can_see_results(user, edition: BudgetEdition) -> bool:
    if edition.results_status == ResultsStatus.PUBLISHED:
        return True
    return edition.results_status == ResultsStatus.COMPUTED and is_official_for(user, None)


# --- implementation -----------------------------------------------------------------------

def record_update(actor, project: Project, *, status: str, progress: int | None, body: str,
                  cancel_reason: str = "") -> ProjectUpdate:
    """A dated public implementation update; followers are mailed."""
    _require_official(actor, project.envelope.district_id)
    if project.implementation_status is None:
        raise InvalidTransition(_("Only selected projects are tracked."))
    errors = {}
    try:
        new = ImplementationStatus(status)
    except ValueError:
        raise ValidationError(fields={"status": _("Choose a status from the list.")}) from None
    if progress is None or not 0 <= progress <= 100:
        errors["progress"] = _("Give a percentage between 0 and 100.")
    cancel_reason = clean_text(cancel_reason, multiline=True)
    if new == ImplementationStatus.CANCELLED and not cancel_reason:
        errors["cancel_reason"] = _("Explain publicly why the project is cancelled.")
    if not clean_text(body, multiline=True) and new == project.implementation_status and progress == project.progress:
        errors["body"] = _("Write what changed.")
    if errors:
        raise ValidationError(fields=errors)
    project.set_implementation(new)
    project.progress = 100 if new == ImplementationStatus.DONE else progress
    if new == ImplementationStatus.CANCELLED:
        project.cancel_reason = cancel_reason
    update = ProjectUpdate(project_id=project.id, author_id=actor.id, status=new, progress=project.progress,
                           body_html=render_markdown(body))
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "budget.project_update", PROJECT_KIND, project.id, status=new.value,
                 progress=project.progress, reason=cancel_reason or None)
    url = absolute_url("budgets.project", project_id=project.id)
    for person in followers(PROJECT_KIND, project.id):
        queue_mail(person.email, lambda: _("News of a project you follow"), "budgets/project_update",
                   {"user": person, "project": project, "update": update, "url": url,
                    "body": clean_text(body, multiline=True)},
                   user=person, topic=f"follow:{PROJECT_KIND}:{project.id}",
                   dedupe_key=f"budget-update:{update.id}:{person.id}")
    return update


def edition_progress(edition: BudgetEdition) -> dict | None:
    """Overall progress: mean progress of selected projects not cancelled."""
    rows = db.session.execute(sa.select(Project.implementation_status, Project.progress).where(
        Project.edition_id == edition.id, Project.implementation_status.is_not(None))).all()
    if not rows:
        return None
    active = [p for s, p in rows if s != ImplementationStatus.CANCELLED]
    counts = {s: 0 for s in ImplementationStatus}
    for s, _p in rows:
        counts[s] += 1
    return {"percent": round(sum(active) / len(active)) if active else 0, "counts": counts, "total": len(rows)}


# --- privacy ----------------------------------------------------------------------------------

def export_user_data(user: User) -> dict:
    projects = db.session.scalars(sa.select(Project).where(Project.author_id == user.id)).all()
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.user_id == user.id)).all()
    return {
        "projects": [{"id": p.id, "title": p.title, "created_at": p.created_at.isoformat() + "Z"} for p in projects],
        "ballots": [{"envelope_id": b.envelope_id, "project_ids": b.project_ids, "points": b.points,
                     "channel": b.channel.value, "updated_at": b.updated_at.isoformat() + "Z"} for b in ballots],
    }


def erase_user_data(user: User) -> None:
    """Ballots stay counted but lose the link to the person."""
    db.session.execute(sa.update(Ballot).where(Ballot.user_id == user.id).values(user_id=None))
    db.session.flush()


def get_edition(edition_id: int) -> BudgetEdition:
    edition = db.session.get(BudgetEdition, edition_id)
    if edition is None:
        raise NotFound()
    return edition
