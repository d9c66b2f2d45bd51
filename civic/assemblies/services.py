"""The only writers of the assembly space (and its reading queries).

Staff (admins) set up the assembly and record what it does: calendar,
documents, hearings, working groups, members, the recommendations adopted with
their vote counts. Officials of the assembly's district give each
recommendation its official answer and post its implementation updates. Each
member chooses whether their first name is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.accounts.models import District, User
from civic.assemblies import permissions
from civic.assemblies.models import (
    FLOW,
    PUBLIC_STATES,
    AnswerDecision,
    Assembly,
    AssemblyState,
    Document,
    GroupMember,
    Hearing,
    ImplementationStatus,
    Member,
    Recommendation,
    RecommendationUpdate,
    Sitting,
    WorkingGroup,
)
from civic.core import audit, content
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.permissions import require, require_login
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import start_of_day, utcnow
from civic.core.transitions import transition
from civic.extensions import db

PAGE_SIZE = 20
MAX_SIZE = 1000
MIN_ANSWER = 20


def _required(value: str, field: str, message: str, max_len: int) -> dict:
    if not value:
        return {field: message}
    if len(value) > max_len:
        return {field: _("Use at most %(n)d characters.", n=max_len)}
    return {}


def _check(errors: dict) -> None:
    if errors:
        raise ValidationError(fields=errors)


def _require_manager(actor, assembly: Assembly | None) -> None:
    require_login(actor)
    require(permissions.can_manage_assembly(actor, assembly))


# --- the assembly ------------------------------------------------------------------

@dataclass
class AssemblyData:
    title: str
    summary: str
    mandate: str
    size: int | None
    district_id: int | None = None
    answer_delay_days: int | None = 90


def _apply(assembly: Assembly, data: AssemblyData) -> None:
    title, summary = clean_text(data.title), clean_text(data.summary)
    mandate = clean_text(data.mandate, multiline=True)
    errors = (_required(title, "title", _("Give the assembly a title."), 200)
              | _required(summary, "summary", _("Write a one-sentence summary."), 500)
              | _required(mandate, "mandate", _("Write the question put to the assembly."), 20000))
    if data.size is None or not 1 <= data.size <= MAX_SIZE:
        errors["size"] = _("Enter a number of members between 1 and %(n)d.", n=MAX_SIZE)
    if data.answer_delay_days is None or not 1 <= data.answer_delay_days <= 730:
        errors["answer_delay_days"] = _("Enter a number of days between 1 and 730.")
    if data.district_id is not None and db.session.get(District, data.district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    _check(errors)
    assembly.title, assembly.summary = title, summary
    assembly.mandate, assembly.mandate_html = mandate, render_markdown(mandate)
    assembly.size, assembly.district_id = data.size, data.district_id
    assembly.answer_delay_days = data.answer_delay_days


def create_assembly(actor, data: AssemblyData) -> Assembly:
    """Create an assembly as a draft (admins); it is public once published."""
    _require_manager(actor, None)
    require(permissions.can_create_assembly(actor))
    assembly = Assembly(created_by_id=actor.id, state=AssemblyState.DRAFT)
    _apply(assembly, data)
    db.session.add(assembly)
    db.session.flush()
    audit.record(actor, "assembly.created", "assembly", assembly.id)
    content.created("assembly", assembly, actor)
    return assembly


def update_assembly(actor, assembly: Assembly, data: AssemblyData) -> Assembly:
    """Change the assembly's texts, size, district and answer delay (admins)."""
    _require_manager(actor, assembly)
    _apply(assembly, data)
    db.session.flush()
    audit.record(actor, "assembly.updated", "assembly", assembly.id)
    return assembly


def move_assembly(actor, assembly: Assembly, to: str) -> Assembly:
    """Move the assembly along its FLOW: publish it (selecting or sitting),
    open its sittings, conclude it (admins)."""
    _require_manager(actor, assembly)
    try:
        target = AssemblyState(to)
    except ValueError:
        raise ValidationError(fields={"state": _("Choose a state from the list.")}) from None
    previous = transition(assembly, FLOW, target, actor, f"assembly.{target.value}", stamp="state_changed_at")
    now = utcnow()
    if previous == AssemblyState.DRAFT:
        assembly.published_at = now
    if target == AssemblyState.CONCLUDED:
        assembly.concluded_at = now
    db.session.flush()
    return assembly


# --- calendar, documents, hearings ------------------------------------------------------

def _sitting_of(assembly: Assembly, sitting_id: int | None) -> int | None:
    if sitting_id is None:
        return None
    sitting = db.session.get(Sitting, sitting_id)
    if sitting is None or sitting.assembly_id != assembly.id:
        raise ValidationError(fields={"sitting_id": _("Choose a session of this assembly.")})
    return sitting.id


def add_sitting(actor, assembly: Assembly, title: str, starts_at: datetime | None, ends_at: datetime | None,
                place: str = "", summary: str = "") -> Sitting:
    """Add a session to the assembly's calendar (naive UTC moments, from ``core.time``)."""
    _require_manager(actor, assembly)
    title, place = clean_text(title), clean_text(place)
    errors = _required(title, "title", _("Give the session a title."), 200)
    if len(place) > 200:
        errors["place"] = _("Use at most %(n)d characters.", n=200)
    if starts_at is None:
        errors["starts"] = _("Enter the date and time the session starts.")
    if ends_at is None or (starts_at is not None and ends_at <= starts_at):
        errors["ends"] = _("Enter an end after the start.")
    _check(errors)
    sitting = Sitting(assembly_id=assembly.id, title=title, starts_at=starts_at, ends_at=ends_at, place=place,
                      summary_html=render_markdown(clean_text(summary, multiline=True)))
    db.session.add(sitting)
    db.session.flush()
    audit.record(actor, "assembly.sitting_added", "assembly", assembly.id, sitting_id=sitting.id)
    return sitting


def add_document(actor, assembly: Assembly, title: str, description: str = "", url: str = "",
                 sitting_id: int | None = None) -> Document:
    """Publish a document given to the members, optionally with a link (http or https)."""
    _require_manager(actor, assembly)
    title, url = clean_text(title), clean_text(url)
    errors = _required(title, "title", _("Give the document a title."), 200)
    if url and (len(url) > 500 or not url.lower().startswith(("https://", "http://"))):
        errors["url"] = _("Enter a web address starting with https://")
    _check(errors)
    doc = Document(assembly_id=assembly.id, sitting_id=_sitting_of(assembly, sitting_id), title=title,
                   description_html=render_markdown(clean_text(description, multiline=True)), url=url or None)
    db.session.add(doc)
    db.session.flush()
    audit.record(actor, "assembly.document_added", "assembly", assembly.id, document_id=doc.id)
    return doc


def add_hearing(actor, assembly: Assembly, expert: str, topic: str, affiliation: str = "", summary: str = "",
                sitting_id: int | None = None) -> Hearing:
    """Record an expert hearing (who, on what, what they said)."""
    _require_manager(actor, assembly)
    expert, topic, affiliation = clean_text(expert), clean_text(topic), clean_text(affiliation)
    errors = (_required(expert, "expert", _("Name the expert heard."), 200)
              | _required(topic, "topic", _("Give the topic of the hearing."), 200))
    if len(affiliation) > 200:
        errors["affiliation"] = _("Use at most %(n)d characters.", n=200)
    _check(errors)
    hearing = Hearing(assembly_id=assembly.id, sitting_id=_sitting_of(assembly, sitting_id), expert=expert,
                      topic=topic, affiliation=affiliation,
                      summary_html=render_markdown(clean_text(summary, multiline=True)))
    db.session.add(hearing)
    db.session.flush()
    audit.record(actor, "assembly.hearing_added", "assembly", assembly.id, hearing_id=hearing.id)
    return hearing


# --- members and working groups ------------------------------------------------------------

def add_member(actor, assembly: Assembly, first_name: str = "", email: str = "", show_name: bool = False) -> Member:
    """Seat a member (staff, for members drawn outside Civic). With the email
    of an account the member can later choose themselves whether their first
    name is shown, and finds it in their data export."""
    _require_manager(actor, assembly)
    first_name, email = clean_text(first_name), clean_text(email).lower()
    errors = {}
    if len(first_name) > 80:
        errors["first_name"] = _("Use at most %(n)d characters.", n=80)
    if show_name and not first_name:
        errors["first_name"] = _("Enter the first name to show it.")
    user = None
    if email:
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is None:
            errors["email"] = _("No account has this email address.")
        elif db.session.scalar(sa.select(Member.id).where(Member.assembly_id == assembly.id,
                                                          Member.user_id == user.id)):
            errors["email"] = _("This person is already a member.")
    seated = db.session.scalar(sa.select(sa.func.count(Member.id)).where(
        Member.assembly_id == assembly.id, Member.left_at.is_(None)))
    if seated >= assembly.size:
        errors["first_name"] = _("The assembly already has its %(n)d members.", n=assembly.size)
    _check(errors)
    member = Member(assembly_id=assembly.id, user_id=user.id if user else None, first_name=first_name or None,
                    show_name=bool(show_name))
    db.session.add(member)
    db.session.flush()
    audit.record(actor, "assembly.member_added", "assembly", assembly.id, member_id=member.id)
    return member


def set_name_shown(actor, member: Member, show: bool) -> Member:
    """The member's own choice: show their first name on the public page, or not."""
    require_login(actor)
    require(permissions.can_set_name_shown(actor, member))
    if show and not member.first_name:
        first = clean_text(getattr(actor, "display_name", "") or "").split(" ")[0][:80]
        member.first_name = first or None
    if show and not member.first_name:
        raise ValidationError(fields={"show_name": _("We do not know your first name: ask the organisers.")})
    member.show_name = bool(show)
    db.session.flush()
    audit.record(actor, "assembly.member_name_shown" if show else "assembly.member_name_hidden", "assembly",
                 member.assembly_id, member_id=member.id)
    return member


def add_group(actor, assembly: Assembly, name: str, remit: str = "", member_ids: list[int] | None = None) -> WorkingGroup:
    """Create a working group with its remit and its members."""
    _require_manager(actor, assembly)
    name = clean_text(name)
    errors = _required(name, "name", _("Give the working group a name."), 200)
    ids = sorted(set(member_ids or []))
    if ids:
        found = set(db.session.scalars(sa.select(Member.id).where(Member.assembly_id == assembly.id,
                                                                  Member.id.in_(ids))))
        if found != set(ids):
            errors["member_ids"] = _("Choose members of this assembly.")
    _check(errors)
    group = WorkingGroup(assembly_id=assembly.id, name=name,
                         remit_html=render_markdown(clean_text(remit, multiline=True)))
    db.session.add(group)
    db.session.flush()
    db.session.add_all([GroupMember(group_id=group.id, member_id=i) for i in ids])
    db.session.flush()
    audit.record(actor, "assembly.group_added", "assembly", assembly.id, group_id=group.id, members=len(ids))
    return group


# --- recommendations ----------------------------------------------------------------------

@dataclass
class RecommendationData:
    title: str
    body: str
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    adopted_on: date | None
    group_id: int | None = None


def adopt_recommendation(actor, assembly: Assembly, data: RecommendationData) -> Recommendation:
    """Record a recommendation the members adopted, with the vote counts.
    The city owes it an official answer ``answer_delay_days`` after adoption."""
    _require_manager(actor, assembly)
    if assembly.state != AssemblyState.SITTING:
        raise InvalidTransition(_("Recommendations are adopted while the assembly sits."))
    title, body = clean_text(data.title), clean_text(data.body, multiline=True)
    errors = (_required(title, "title", _("Give the recommendation a title."), 200)
              | _required(body, "body", _("Write the text adopted."), 20000))
    votes = {"votes_for": data.votes_for, "votes_against": data.votes_against, "votes_abstain": data.votes_abstain}
    for name, value in votes.items():
        if value is None or not 0 <= value <= MAX_SIZE:
            errors[name] = _("Enter a number of votes between 0 and %(n)d.", n=MAX_SIZE)
    if not any(k in errors for k in votes):
        if data.votes_for + data.votes_against + data.votes_abstain > assembly.size:
            errors["votes_abstain"] = _("More votes than the %(n)d members of the assembly.", n=assembly.size)
        elif data.votes_for <= data.votes_against:
            errors["votes_for"] = _("A recommendation is adopted with more votes for than against.")
    if data.adopted_on is None:
        errors["adopted_on"] = _("Enter the day of the vote.")
    elif start_of_day(data.adopted_on) > utcnow():
        errors["adopted_on"] = _("The vote cannot be in the future.")
    if data.group_id is not None:
        group = db.session.get(WorkingGroup, data.group_id)
        if group is None or group.assembly_id != assembly.id:
            errors["group_id"] = _("Choose a working group of this assembly.")
    _check(errors)
    number = (db.session.scalar(sa.select(sa.func.max(Recommendation.number))
                                .where(Recommendation.assembly_id == assembly.id)) or 0) + 1
    adopted_at = start_of_day(data.adopted_on)
    rec = Recommendation(assembly_id=assembly.id, group_id=data.group_id, number=number, title=title, body=body,
                         body_html=render_markdown(body), votes_for=data.votes_for,
                         votes_against=data.votes_against, votes_abstain=data.votes_abstain,
                         adopted_at=adopted_at,
                         answer_due_at=adopted_at + timedelta(days=assembly.answer_delay_days))
    db.session.add(rec)
    db.session.flush()
    audit.record(actor, "assembly.recommendation_adopted", "recommendation", rec.id, assembly_id=assembly.id,
                 votes=[rec.votes_for, rec.votes_against, rec.votes_abstain])
    content.created("recommendation", rec, actor)
    return rec


def answer_recommendation(actor, rec: Recommendation, decision: str, text: str) -> Recommendation:
    """The city's official answer: accepted, partly accepted or rejected, with
    its reasons (officials of the assembly's district). Given once."""
    require_login(actor)
    require(permissions.can_answer_recommendation(actor, rec))
    if rec.answered_at is not None:
        raise InvalidTransition(_("This recommendation has already been answered."))
    errors = {}
    try:
        decision_v = AnswerDecision(decision)
    except ValueError:
        decision_v = None
        errors["decision"] = _("Choose a decision from the list.")
    text = clean_text(text, multiline=True)
    if len(text) < MIN_ANSWER:
        errors["answer"] = _("Give the reasons of the decision (at least %(n)d characters).", n=MIN_ANSWER)
    elif len(text) > 20000:
        errors["answer"] = _("Use at most %(n)d characters.", n=20000)
    _check(errors)
    rec.decision, rec.answer, rec.answer_html = decision_v, text, render_markdown(text)
    rec.answered_at, rec.answered_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "recommendation.answered", "recommendation", rec.id, decision=decision_v.value,
                 late=rec.answered_at > rec.answer_due_at)
    return rec


def add_implementation_update(actor, rec: Recommendation, status: str, progress: int | None,
                              note: str) -> RecommendationUpdate:
    """Dated follow-up of an answered recommendation: status, progress, what happened."""
    require_login(actor)
    require(permissions.can_answer_recommendation(actor, rec))
    if rec.answered_at is None:
        raise InvalidTransition(_("Answer the recommendation before following up its implementation."))
    errors = {}
    try:
        status_v = ImplementationStatus(status)
    except ValueError:
        status_v = None
        errors["status"] = _("Choose a status from the list.")
    if progress is None or not 0 <= progress <= 100:
        errors["progress"] = _("Enter a percentage between 0 and 100.")
    note = clean_text(note, multiline=True)
    errors |= _required(note, "note", _("Write what happened."), 5000)
    _check(errors)
    if status_v == ImplementationStatus.DONE:
        progress = 100
    update = RecommendationUpdate(recommendation_id=rec.id, status=status_v, progress=progress,
                                  note_html=render_markdown(note), author_id=actor.id)
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "recommendation.implementation_update", "recommendation", rec.id,
                 status=status_v.value, progress=progress)
    return update


# --- reading ---------------------------------------------------------------------------------

def get_assembly(assembly_id: int, user) -> Assembly:
    """The assembly if ``user`` may see it, else NotFound (drafts stay unknown)."""
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None or not permissions.can_view_assembly(user, assembly):
        raise NotFound()
    return assembly


def get_recommendation(rec_id: int, user) -> Recommendation:
    rec = db.session.get(Recommendation, rec_id)
    if rec is None or not permissions.can_view_recommendation(user, rec):
        raise NotFound()
    return rec


def get_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound()
    return member


def list_assemblies(user, *, page: int = 1, limit: int = PAGE_SIZE) -> tuple[list[Assembly], bool]:
    """Assemblies, sitting ones first, then selecting, then concluded; drafts for admins."""
    stmt = sa.select(Assembly).options(selectinload(Assembly.district))
    if not permissions.can_view_drafts(user):
        stmt = stmt.where(Assembly.state.in_(PUBLIC_STATES))
    order = sa.case({AssemblyState.SITTING.value: 0, AssemblyState.SELECTING.value: 1,
                     AssemblyState.DRAFT.value: 2}, value=Assembly.state, else_=3)
    rows = db.session.scalars(stmt.order_by(order, Assembly.id.desc()).offset((page - 1) * limit)
                              .limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def recommendations_of(user, assembly: Assembly) -> list[Recommendation]:
    stmt = sa.select(Recommendation).where(Recommendation.assembly_id == assembly.id)
    if not permissions.can_view_hidden_recommendations(user):
        stmt = stmt.where(Recommendation.hidden.is_(False))
    return db.session.scalars(stmt.order_by(Recommendation.number)).all()


def sittings_of(assembly: Assembly) -> list[Sitting]:
    return db.session.scalars(sa.select(Sitting).where(Sitting.assembly_id == assembly.id)
                              .order_by(Sitting.starts_at, Sitting.id)).all()


def documents_of(assembly: Assembly) -> list[Document]:
    return db.session.scalars(sa.select(Document).where(Document.assembly_id == assembly.id)
                              .order_by(Document.id)).all()


def hearings_of(assembly: Assembly) -> list[Hearing]:
    return db.session.scalars(sa.select(Hearing).where(Hearing.assembly_id == assembly.id)
                              .order_by(Hearing.id)).all()


def members_of(assembly: Assembly) -> list[Member]:
    """Seated members, in the order they joined."""
    return db.session.scalars(sa.select(Member).where(Member.assembly_id == assembly.id, Member.left_at.is_(None))
                              .order_by(Member.id)).all()


def groups_of(assembly: Assembly) -> list[tuple[WorkingGroup, list[int]]]:
    """Working groups with the ids of their members."""
    groups = db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.assembly_id == assembly.id)
                                .order_by(WorkingGroup.id)).all()
    links = db.session.execute(sa.select(GroupMember.group_id, GroupMember.member_id)
                               .where(GroupMember.group_id.in_([g.id for g in groups]))).all() if groups else []
    by_group: dict[int, list[int]] = {}
    for gid, mid in links:
        by_group.setdefault(gid, []).append(mid)
    return [(g, sorted(by_group.get(g.id, []))) for g in groups]


def membership_of(user, assembly: Assembly) -> Member | None:
    """The viewer's own seat in the assembly, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Member).where(Member.assembly_id == assembly.id, Member.user_id == user.id,
                                                     Member.left_at.is_(None)))


def updates_of(rec: Recommendation) -> list[RecommendationUpdate]:
    return db.session.scalars(sa.select(RecommendationUpdate).where(RecommendationUpdate.recommendation_id == rec.id)
                              .order_by(RecommendationUpdate.created_at, RecommendationUpdate.id)).all()
