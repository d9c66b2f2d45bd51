"""Who may do what with consultations: the one place each rule lives.

Services ``require()`` these first; views and templates call the same
predicates (as ``consultations_permissions`` in templates) to show or hide an
action. Built on the shared vocabulary of ``civic.core.permissions``.
"""

from __future__ import annotations

from flask_babel import gettext as _

from civic.accounts.verification import requirement_refusal
from civic.core.permissions import (
    MODERATOR,
    OFFICIAL,
    Refusal,
    contributor_refusal,
    has_any_role,
    is_mediator_for,
    is_moderator_for,
    is_official_for,
    is_user,
)

from .models import Eligibility, Status


def can_draft_consultations(actor) -> bool:
    """Officials (of any district, or city-wide) draft consultations: the
    "New consultation" link, the new form and the list of drafts."""
    return has_any_role(actor, OFFICIAL)


def can_create_consultation(actor, district_id: int | None = None) -> bool:
    """A consultation concerning ``district_id`` (None: the whole city) is
    drafted by an official of that district (a city-wide one for the city)."""
    return is_official_for(actor, district_id)


def can_manage_consultation(actor, c) -> bool:
    """Edit a draft, its questions, publish, close, write the follow-up."""
    return is_official_for(actor, c.district_id)


def can_view_consultation(actor, c) -> bool:
    """Drafts are seen by their officials; hidden ones also by moderators."""
    if c.status == Status.DRAFT:
        return can_manage_consultation(actor, c)
    if c.hidden:
        return can_manage_consultation(actor, c) or is_moderator_for(actor, c.district_id)
    return True


def can_record_paper_response(actor, c) -> bool:
    """Mediators of the consultation's district type in paper questionnaires."""
    return is_mediator_for(actor, c.district_id)


def can_review_free_texts(actor) -> bool:
    """The review queue of free texts: moderators of some district."""
    return has_any_role(actor, MODERATOR)


def can_review_free_text(actor, c) -> bool:
    """Publish or exclude a free text of ``c``: a moderator of its district."""
    return is_moderator_for(actor, c.district_id)


def residence_refusal(person, c) -> Refusal | None:
    """Why ``person`` does not meet ``c``'s residence rule (or None): the part
    of eligibility that paper answers check too."""
    if c.eligibility == Eligibility.RESIDENTS and person.verified_district_id() is None:
        return Refusal(_("Only verified residents may answer. You can get verified from your account page or at a "
                         "town-hall counter."))
    if c.eligibility == Eligibility.DISTRICTS:
        allowed = {d.id for d in c.districts}
        if person.verified_district_id() not in allowed:
            return Refusal(_("Only verified residents of %(districts)s may answer.",
                             districts=", ".join(d.name for d in c.districts)))
    return None


def can_answer_consultation(actor, c):
    """Answer ``c`` now: it is open, the actor may contribute (logged in,
    address confirmed, not blocked) and meets the residence rule. True, or a
    Refusal saying why (shown on the page instead of the questionnaire)."""
    if not c.is_open():
        return Refusal(_("This consultation is not open for answers."))
    if not is_user(actor):
        return Refusal(_("Please log in to answer."))
    # A Refusal is falsy: chain with "is None", not "or".
    refusal = contributor_refusal(actor)
    if refusal is None:
        refusal = residence_refusal(actor, c)
    if refusal is None:
        refusal = requirement_refusal(actor, "consultation", c.id, "answer")
    return True if refusal is None else refusal
