"""Editions: their rules, envelopes and dated phases."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.accounts.models import District
from civic.core import audit, content, phases
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.permissions import require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.extensions import db

from .. import permissions
from ..models import KIND, BudgetEdition, Envelope, SelectionRule, VoteRule

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


def phase_specs(starts: dict[str, datetime], ends_at: datetime | None) -> list[phases.PhaseSpec]:
    """The edition's phases from their start moments (naive UTC): each ends
    when the next one starts, the last at ``ends_at``."""
    codes = [c for c in PHASE_CODES if starts.get(c)]
    specs = []
    for i, code in enumerate(codes):
        end = starts[codes[i + 1]] if i + 1 < len(codes) else ends_at
        specs.append(phases.PhaseSpec(code=code, title=phase_label(code), starts_at=starts[code], ends_at=end,
                                      capabilities=PHASE_CAPABILITIES[code]))
    return specs


def create_edition(actor, *, title: str, description: str, total_amount: int, currency: str = "EUR",
                   rules: RuleParams, phase_starts: dict[str, datetime], ends_at: datetime | None = None) -> BudgetEdition:
    """Create a budget edition with its rules and dated phases (city-wide
    officials). ``phase_starts`` are moments in naive UTC: a form's days go
    through ``civic.core.time.start_of_day`` first."""
    require(permissions.can_manage_edition(actor))
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
    phases.set_phases(actor, KIND, edition.id, phase_specs(phase_starts, ends_at))
    audit.record(actor, "budget.created", KIND, edition.id, rule=edition.vote_rule.value,
                 counting=edition.selection_rule.value)
    content.created(KIND, edition, actor)
    return edition


def publish_edition(actor, edition: BudgetEdition) -> BudgetEdition:
    """Make a draft edition public (city-wide officials). It needs at least
    one envelope: residents must know how much is at stake and where."""
    require(permissions.can_manage_edition(actor, edition))
    if not edition.is_draft:
        raise InvalidTransition(_("This edition is already published."))
    if not edition.envelopes:
        raise ValidationError(_("Add at least one envelope before publishing: residents must know how much "
                                "is at stake and where."))
    edition.published_at = utcnow()
    db.session.flush()
    audit.record(actor, "budget.published", KIND, edition.id)
    return edition


def update_rules(actor, edition: BudgetEdition, rules: RuleParams) -> None:
    """Change the voting and counting rules; impossible once voting has opened."""
    require(permissions.can_manage_edition(actor, edition))
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
    require(permissions.can_manage_edition(actor, edition))
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
    require(permissions.can_move_phase(actor, edition))
    phases.move_phase(actor, KIND, edition.id, phase_id, reason)


def current_phase_code(edition: BudgetEdition) -> str | None:
    p = phases.current_phase(KIND, edition.id)
    return p.code if p else None


def apply_phase_change(edition: BudgetEdition, old_code: str | None, new_code: str) -> bool:
    """What a phase change does to the edition: the rules freeze when voting
    opens (audited). Returns whether voting just closed, so that the caller
    (the ``phase_changed`` hook in ``kind.py``) enqueues the results."""
    if new_code == "voting" and edition.rules_frozen_at is None:
        edition.rules_frozen_at = utcnow()
        audit.record(None, "budget.rules_frozen", KIND, edition.id, rule=edition.vote_rule.value,
                     counting=edition.selection_rule.value)
    closed = old_code == "voting" and new_code != "voting"
    if closed and edition.rules_frozen_at is None:  # voting skipped over by hand: still frozen from now on
        edition.rules_frozen_at = utcnow()
    db.session.flush()
    return closed


def get_edition(edition_id: int, *, with_envelopes: bool = False) -> BudgetEdition:
    """The edition or :class:`NotFound`; ``with_envelopes`` loads its envelopes
    and their districts in the same round trips (pages and API)."""
    if not with_envelopes:
        edition = db.session.get(BudgetEdition, edition_id)
    else:
        edition = db.session.scalar(sa.select(BudgetEdition).where(BudgetEdition.id == edition_id).options(
            selectinload(BudgetEdition.envelopes).selectinload(Envelope.district)))
    if edition is None:
        raise NotFound()
    return edition
