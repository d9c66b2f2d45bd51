"""Ballots: the feedback on a choice, casting and changing an online ballot,
paper ballots entered by mediators, and the turnout."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from civic.accounts.models import Verification
from civic.accounts.services import census_fingerprint, find_user_by_email
from civic.core import audit, follows, phases
from civic.core.errors import InvalidTransition, PermissionDenied, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import is_user, require, require_contributor
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db

from .. import permissions
from ..explain import money
from ..models import KIND, Ballot, BallotChannel, BudgetEdition, Envelope, PaperVoter, Project, VoteRule
from .projects import ballot_projects


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
                                          total=money(fb.total_cost, edition.currency),
                                          amount=money(envelope.amount, edition.currency)))
        elif edition.min_spend_percent and fb.total_cost * 100 < envelope.amount * edition.min_spend_percent:
            errors.setdefault("ballot", _("Spend at least %(pct)d%% of the envelope (%(min)s).",
                                          pct=edition.min_spend_percent,
                                          min=money(-(-envelope.amount * edition.min_spend_percent // 100),
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
    """Why ``user`` cannot vote in ``envelope`` now (None if they can): the
    sentence of :func:`civic.budgets.permissions.can_cast_ballot`'s refusal."""
    allowed = permissions.can_cast_ballot(user, envelope)
    return None if allowed else allowed.message


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


def _checked_choice(edition: BudgetEdition, envelope: Envelope, project_ids: list[int],
                    points: list[int] | None) -> tuple[list[Project], list[int] | None]:
    """The envelope's ballot and the choice's points (None but for points
    ballots), or a ValidationError with the rule's reasons."""
    projects = ballot_projects(envelope)
    if edition.vote_rule != VoteRule.CUMULATIVE:
        points = None
    fb = ballot_feedback(edition, envelope, projects, project_ids, points)
    if fb.errors:
        raise ValidationError(fields=fb.errors)
    return projects, points


def cast_ballot(actor, envelope: Envelope, project_ids: list[int], points: list[int] | None = None) -> Ballot:
    """Cast or change the voter's ballot in ``envelope``; only the last one counts.

    The eligibility, phase and rule checks run again under the voting lock;
    the database keeps one ballot per person per envelope. A confirmation
    mail lists the choices.
    """
    require_contributor(actor)
    edition = envelope.edition
    _lock_voting(edition)
    require(permissions.can_cast_ballot(actor, envelope))
    projects, points = _checked_choice(edition, envelope, project_ids, points)
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
    follows.auto_follow(actor, KIND, edition.id)
    return ballot


def my_ballot(user, envelope: Envelope) -> Ballot | None:
    if not is_user(user):
        return None
    return db.session.scalar(sa.select(Ballot).where(Ballot.envelope_id == envelope.id, Ballot.user_id == user.id))


def paper_fingerprint(edition: BudgetEdition, last_name: str, first_name: str, birth_date: date, postcode: str) -> str:
    """Salted hash of the paper voter's identity, normalised like the census
    verifier does (accents, case and punctuation ignored)."""
    return census_fingerprint(edition.paper_salt, last_name, first_name, birth_date, postcode)


def _paper_voter_errors(envelope: Envelope, reference: str, last_name: str, first_name: str,
                        birth_date: date | None, postcode: str, email: str):
    """The form's reasons, and the voter's account when ``email`` names one."""
    errors = {}
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
        user = find_user_by_email(email)
        if user is None:
            errors["email"] = _("No account uses this address. Leave it empty for a voter without an account.")
        elif envelope.district_id is not None and not user.is_verified_for(envelope.district_id):
            errors["email"] = _("This person is not a verified resident of %(district)s.",
                                district=envelope.district.name)
    return errors, user


def enter_paper_ballot(actor, envelope: Envelope, *, reference: str, last_name: str, first_name: str,
                       birth_date: date | None, postcode: str, project_ids: list[int],
                       points: list[int] | None = None, email: str = "") -> Ballot:
    """A mediator records a paper ballot collected at a counter.

    The voter is identified by an account (``email``: they can no longer vote
    online, by the same unique constraint) or, without an account, by a
    salted fingerprint of name, birth date and postcode (they cannot vote
    twice on paper). Counted like online ballots; audited with the reference.
    """
    require(permissions.can_enter_paper_ballot(actor, envelope))
    edition = envelope.edition
    _lock_voting(edition)
    if not phases.allows(KIND, edition.id, "vote"):
        raise InvalidTransition(_("Voting is not open."))
    reference = clean_text(reference)
    errors, user = _paper_voter_errors(envelope, reference, last_name, first_name, birth_date, postcode, email)
    if errors:
        raise ValidationError(fields=errors)
    _projects, points = _checked_choice(edition, envelope, project_ids, points)
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
        Verification.revoked_at.is_(None), Verification.district_id.is_not(None))
        .group_by(Verification.district_id)).all())
    rows = []
    for e in edition.envelopes:
        eligible = sum(verified.values()) if e.district_id is None else verified.get(e.district_id, 0)
        n = counts.get(e.id, 0)
        rows.append({"envelope": e, "ballots": n, "eligible": eligible,
                     "percent": round(100 * n / eligible, 1) if eligible else None})
    return rows
