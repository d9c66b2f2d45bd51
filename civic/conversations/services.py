"""Conversation services: the only writers of conversations, statements and votes.

Every public function takes the actor first, checks permission first (the
rules are in :mod:`civic.conversations.permissions`), validates, writes,
audits and flushes; the caller commits. Opinion groups are computed by a job
(:mod:`civic.conversations.jobs`), never in the request.
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from civic.conversations import permissions
from civic.conversations.jobs import compute_groups
from civic.conversations.models import (
    CONVERSATION_FLOW,
    QUESTION_MAX,
    STATEMENT_MAX,
    Conversation,
    ConversationState,
    GroupMembership,
    Statement,
    StatementVote,
    VoteValue,
)
from civic.conversations.polis import PolisFormatError, read_comments, read_votes
from civic.conversations.settings import RECOMPUTE_EVERY_VOTES, STATEMENTS_PER_HOUR, VOTES_PER_HOUR
from civic.core import audit, content, follows, security
from civic.core.errors import NotFound, ValidationError
from civic.core.export import iso
from civic.core.jobs import enqueue
from civic.core.permissions import require, require_login
from civic.core.sanitize import clean_text
from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.extensions import db

HOUR = 3600
SEED_MAX = 40


def _statement_text(text: str | None, field: str = "text") -> str:
    text = clean_text(text)
    if not text:
        raise ValidationError(fields={field: _("Write the statement.")})
    if len(text) > STATEMENT_MAX:
        raise ValidationError(fields={field: _(
            "Keep the statement under %(max)d characters (it has %(n)d).", max=STATEMENT_MAX, n=len(text))})
    return text


def conversation_of(host_kind: str, host_id: int) -> Conversation | None:
    """The conversation on an item, if it has one."""
    return db.session.scalar(sa.select(Conversation).where(Conversation.host_kind == host_kind,
                                                            Conversation.host_id == host_id))


def start_conversation(actor, host_kind: str, host_id: int, question: str, seeds: str | None = None) -> Conversation:
    """Start the conversation of a debate or consultation, with the question put
    to participants and, optionally, opening statements (one per line)."""
    require_login(actor)
    require(permissions.starts_conversations(actor))
    kind, host = content.load(host_kind, host_id, actor)
    require(permissions.can_start_conversation(actor, host_kind, host))
    errors = {}
    question = clean_text(question)
    if not question:
        errors["question"] = _("Write the question put to participants.")
    elif len(question) > QUESTION_MAX:
        errors["question"] = _("Keep the question under %(n)d characters.", n=QUESTION_MAX)
    lines = [clean_text(line) for line in (seeds or "").splitlines()]
    lines = [line for line in lines if line]
    for number, line in enumerate(lines, start=1):
        if len(line) > STATEMENT_MAX:
            errors["seeds"] = _("Line %(n)d is longer than %(max)d characters.", n=number, max=STATEMENT_MAX)
            break
    if len(lines) > SEED_MAX:
        errors["seeds"] = _("Write at most %(n)d opening statements.", n=SEED_MAX)
    if conversation_of(host_kind, host_id) is not None:
        errors["question"] = _("This item already has a conversation.")
    if errors:
        raise ValidationError(fields=errors)
    conversation = Conversation(host_kind=host_kind, host_id=host_id, question=question,
                                district_id=kind.district_id(host), created_by_id=actor.id)
    db.session.add(conversation)
    db.session.flush()
    for line in dict.fromkeys(lines):
        db.session.add(Statement(conversation_id=conversation.id, author_id=actor.id, text=line, seeded=True))
    db.session.flush()
    content.created("conversation", conversation, actor)
    audit.record(actor, "conversation.started", "conversation", conversation.id, host=f"{host_kind}/{host_id}",
                 statements=len(lines))
    return conversation


def submit_statement(actor, conversation: Conversation, text: str) -> Statement:
    """A participant adds a statement for others to vote on (at most 280
    characters; the same text twice in one conversation is refused)."""
    require_login(actor)
    require(permissions.can_submit_statement(actor, conversation))
    text = _statement_text(text)
    duplicate = db.session.scalar(sa.select(Statement.id).where(
        Statement.conversation_id == conversation.id, sa.func.lower(Statement.text) == text.lower()))
    if duplicate is not None:
        raise ValidationError(fields={"text": _("This statement is already in the conversation: vote on it instead.")})
    limit = get_setting(STATEMENTS_PER_HOUR)
    security.require_within(f"conversation-statement:{actor.id}", limit, HOUR, lambda retry: ngettext(
        "You have written %(limit)d statements this hour. You can write another in %(num)d minute; "
        "your text is kept below.",
        "You have written %(limit)d statements this hour. You can write another in %(num)d minutes; "
        "your text is kept below.", security.wait_minutes(retry), limit=limit))
    statement = Statement(conversation_id=conversation.id, author_id=actor.id, text=text,
                          seeded=bool(permissions.can_seed_statements(actor, conversation)))
    db.session.add(statement)
    db.session.flush()
    # Pre-moderation, when an administrator turned it on for statements, hides it until approved.
    content.created("statement", statement, actor)
    audit.record(actor, "conversation.statement_added", "statement", statement.id,
                 conversation_id=conversation.id)
    return statement


def vote(actor, statement: Statement, value: int) -> StatementVote:
    """Agree (1), disagree (-1) or pass (0) on a statement; voting again changes
    the vote. Every ``RECOMPUTE_EVERY_VOTES`` votes the groups are recomputed."""
    require_login(actor)
    conversation = statement.conversation
    require(permissions.can_vote(actor, conversation))
    try:
        value = VoteValue(int(value))
    except (TypeError, ValueError):
        raise ValidationError(fields={"value": _("Choose agree, disagree or pass.")}) from None
    if statement.hidden_at is not None:
        raise NotFound()
    limit = get_setting(VOTES_PER_HOUR)
    security.require_within(f"conversation-vote:{actor.id}", limit, HOUR, lambda retry: ngettext(
        "You have voted %(limit)d times this hour. You can go on in %(num)d minute.",
        "You have voted %(limit)d times this hour. You can go on in %(num)d minutes.",
        security.wait_minutes(retry), limit=limit))
    existing = db.session.scalar(sa.select(StatementVote).where(StatementVote.statement_id == statement.id,
                                                                 StatementVote.user_id == actor.id))
    if existing is not None:
        if existing.value == int(value):
            return existing
        existing.value, existing.voted_at = int(value), utcnow()
        row = existing
    else:
        row = StatementVote(statement_id=statement.id, conversation_id=conversation.id, user_id=actor.id,
                            value=int(value))
        db.session.add(row)
    changes = _changed(conversation.id)
    if changes % get_setting(RECOMPUTE_EVERY_VOTES) == 0:
        enqueue(compute_groups, conversation.id)
    follows.auto_follow(actor, "conversation", conversation.id)
    return row


def _changed(conversation_id: int, by: int = 1) -> int:
    """Count a change to the votes (UPDATE ... SET changes = changes + n, so two
    voters at once both count) and return the new value."""
    db.session.execute(sa.update(Conversation).where(Conversation.id == conversation_id)
                       .values(changes=Conversation.changes + by))
    db.session.flush()
    return db.session.scalar(sa.select(Conversation.changes).where(Conversation.id == conversation_id))


def set_conversation_open(actor, conversation: Conversation, is_open: bool) -> None:
    """Close a conversation (votes and statements stop; results stay) or reopen it."""
    require_login(actor)
    require(permissions.can_close_conversation(actor, conversation))
    to = ConversationState.OPEN if is_open else ConversationState.CLOSED
    transition(conversation, CONVERSATION_FLOW, to, actor,
               "conversation.reopened" if is_open else "conversation.closed", stamp="state_changed_at")
    db.session.flush()
    if not is_open:
        enqueue(compute_groups, conversation.id)


def import_polis(actor, conversation: Conversation, comments_csv: bytes, votes_csv: bytes) -> tuple[int, int]:
    """Import a Polis open-data export (comments.csv, votes.csv) into a
    conversation: statements keep their Polis comment-id, votes their voter-id
    (no account). Re-importing the same export adds nothing. Returns
    (statements added, votes added)."""
    require_login(actor)
    require(permissions.can_import_polis(actor, conversation))
    try:
        comments = read_comments(io.StringIO(comments_csv.decode("utf-8-sig")))
    except (PolisFormatError, UnicodeDecodeError) as error:
        raise ValidationError(fields={"comments": _("comments.csv: %(error)s", error=str(error))}) from None
    moderated_out = {c["id"] for c in comments if c["moderated"] < 0}
    try:
        votes = read_votes(io.StringIO(votes_csv.decode("utf-8-sig")), exclude_comments=moderated_out)
    except (PolisFormatError, UnicodeDecodeError) as error:
        raise ValidationError(fields={"votes": _("votes.csv: %(error)s", error=str(error))}) from None
    known = dict(db.session.execute(sa.select(Statement.external_id, Statement.id).where(
        Statement.conversation_id == conversation.id, Statement.external_id.is_not(None))).all())
    added = 0
    for c in comments:
        if c["id"] in known or c["id"] in moderated_out:
            continue
        text = clean_text(c["body"])[:STATEMENT_MAX] or "—"
        st = Statement(conversation_id=conversation.id, text=text, external_id=c["id"][:40], seeded=False)
        db.session.add(st)
        db.session.flush()
        known[c["id"]] = st.id
        added += 1
    existing = {(sid, p) for sid, p in db.session.execute(sa.select(StatementVote.statement_id, StatementVote.participant)
                .where(StatementVote.conversation_id == conversation.id, StatementVote.participant.is_not(None)))}
    rows = []
    for p, s, v in zip(votes.participants.tolist(), votes.statements.tolist(), votes.values.tolist(), strict=True):
        statement_id = known.get(votes.comment_ids[s])
        key = (statement_id, str(votes.voter_ids[p])[:40])
        if statement_id is None or key in existing:
            continue
        existing.add(key)
        rows.append({"statement_id": statement_id, "conversation_id": conversation.id, "participant": key[1],
                     "value": int(v), "voted_at": utcnow()})
    if rows:
        db.session.execute(sa.insert(StatementVote), rows)
        _changed(conversation.id, len(rows))
    db.session.flush()
    audit.record(actor, "conversation.polis_imported", "conversation", conversation.id, statements=added,
                 votes=len(rows))
    enqueue(compute_groups, conversation.id)
    return added, len(rows)


# --- moderation hooks ------------------------------------------------------------------

def set_statement_hidden(statement: Statement, hidden: bool) -> None:
    """Moderation hook: a hidden statement leaves the vote and the groups."""
    statement.hidden_at = (statement.hidden_at or utcnow()) if hidden else None
    db.session.flush()
    _changed(statement.conversation_id)
    enqueue(compute_groups, statement.conversation_id)


def redact_statement(statement: Statement, new_text: str) -> None:
    """Moderation hook: replace the text (moderation keeps the original)."""
    statement.text = clean_text(new_text)[:STATEMENT_MAX] or "—"
    db.session.flush()


# --- personal data ---------------------------------------------------------------------

def export_personal_data(user) -> dict:
    """What the module holds about ``user``: statements written, votes, groups."""
    statements = db.session.scalars(sa.select(Statement).where(Statement.author_id == user.id)
                                    .order_by(Statement.id)).all()
    votes = db.session.scalars(sa.select(StatementVote).where(StatementVote.user_id == user.id)
                               .order_by(StatementVote.id)).all()
    groups = db.session.scalars(sa.select(GroupMembership).where(GroupMembership.user_id == user.id)).all()
    names = {VoteValue.AGREE: "agree", VoteValue.DISAGREE: "disagree", VoteValue.PASS: "pass"}
    return {
        "statements": [{"id": s.id, "conversation_id": s.conversation_id, "text": s.text,
                        "created_at": iso(s.created_at)} for s in statements],
        "statement_votes": [{"statement_id": v.statement_id, "vote": names[VoteValue(v.value)], "voted_at": iso(v.voted_at)}
                  for v in votes],
        "opinion_groups": [{"conversation_id": g.conversation_id, "group": g.group_number + 1} for g in groups],
    }


def erase_personal_data(user) -> None:
    """Account deletion: votes and group places go (the groups are recomputed
    without them); statements stay, as from a deleted account."""
    conversation_ids = db.session.scalars(sa.select(StatementVote.conversation_id)
                                          .where(StatementVote.user_id == user.id).distinct()).all()
    for conversation_id in conversation_ids:
        db.session.execute(sa.delete(StatementVote).where(
            StatementVote.user_id == user.id, StatementVote.conversation_id == conversation_id))
        _changed(conversation_id)
        enqueue(compute_groups, conversation_id)
    db.session.execute(sa.delete(GroupMembership).where(GroupMembership.user_id == user.id))
    db.session.flush()
