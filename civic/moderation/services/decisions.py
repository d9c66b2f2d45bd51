"""Decisions on cases: keep, hide or edit out personal data, with a
statement of reasons mailed to the author. The first decision wins."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import User
from civic.core import audit, events
from civic.core.errors import InvalidTransition, ValidationError
from civic.core.outbox import queue_mail
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.transitions import compare_and_set
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.moderation import labels
from civic.moderation.models import (
    APPEALABLE,
    CASE_FLOW,
    CaseSource,
    CaseStatus,
    Decision,
    DecisionType,
    HoldCause,
    ModerationCase,
)
from civic.moderation.services.cases import get_case
from civic.moderation.services.common import (
    can_mail,
    clean_statement,
    gather,
    item,
    item_title,
    parse_reason,
)
from civic.moderation.services.holds import add_hold, release_holds


def decide_case(actor, case_id: int, decision_type, reason_code, statement: str,
                redacted_text: str | None = None) -> Decision:
    """Close a case: keep the item (reports dismissed, item shown again if it
    was held), hide it, or edit out personal data (the original text is kept
    on the decision, for moderators and the audit trail only).

    The first decision wins: the case is claimed with a conditional UPDATE
    (open → decided, :data:`CASE_FLOW`), and a moderator who decides a case
    someone else already decided gets :class:`InvalidTransition` naming that
    decision.
    """
    case = get_case(actor, case_id)
    try:
        dtype = DecisionType(decision_type)
    except ValueError:
        raise ValidationError(fields={"decision": _("Choose a decision.")}) from None
    if dtype == DecisionType.BLOCK:
        raise ValidationError(fields={"decision": _("Choose a decision.")})
    errors = {}
    if dtype == DecisionType.KEEP:
        code = parse_reason(reason_code, "reason_code", required=False)
    else:
        code = gather(errors, parse_reason, reason_code, "reason_code")
    statement = gather(errors, clean_statement, statement)
    kind, obj = item(case.kind, case.object_id)
    new_text = None
    if dtype == DecisionType.REDACT:
        if obj is None or not (kind.hooks.get("redact") and kind.hooks.get("text")):
            errors["decision"] = _("This kind of content cannot be edited by moderators: hide it instead.")
        else:
            new_text = clean_text(redacted_text, multiline=True)
            if not new_text:
                errors["redacted_text"] = _("Enter the text without the personal data.")
            elif new_text == clean_text(kind.hooks["text"](obj), multiline=True):
                errors["redacted_text"] = _("The text is unchanged: remove the personal data from it.")
    if dtype == DecisionType.HIDE and (obj is None or not kind.hooks.get("set_hidden")):
        errors["decision"] = _("This kind of content cannot be hidden.")
    if errors:
        raise ValidationError(fields=errors)
    if not compare_and_set(case, CASE_FLOW, CaseStatus.DECIDED, attr="status", decided_at=utcnow()):
        _refuse_second_decision(case)
    now = case.decided_at
    decision = Decision(case_id=case.id, kind=case.kind, object_id=case.object_id, district_id=case.district_id,
                        type=dtype, reason_code=code, statement=statement, moderator_id=actor.id,
                        subject_user_id=case.author_id, created_at=now)
    if dtype == DecisionType.REDACT:
        decision.original_text = kind.hooks["text"](obj)
        decision.redacted_text = new_text
    db.session.add(decision)
    db.session.flush()
    if dtype == DecisionType.HIDE:
        add_hold(case.kind, case.object_id, HoldCause.DECISION, decision.id, now)
    elif dtype == DecisionType.REDACT:
        kind.hooks["redact"](obj, new_text)
    was_held = case.hidden_at is not None
    release_holds(HoldCause.REVIEW, case.id, now)
    audit.record(actor, "moderation.decided", case.kind, case.object_id, reason=statement,
                 decision=dtype.value, reason_code=code.value if code else None, case_id=case.id,
                 decision_id=decision.id, reports=case.report_count)
    if dtype != DecisionType.KEEP or was_held:
        _mail_decision(decision, case, kind, obj)
        if obj is not None and decision.subject_user_id:
            # The decision mail above is the person's mail: the event adds the inbox item.
            events.emit(case.kind, case.object_id, "moderation_decision", actor_id=actor.id,
                        concerned_user_ids=[decision.subject_user_id], district_id=case.district_id,
                        data={"decision": dtype.value, events.MODULE_MAILED: True})
    db.session.flush()
    return decision


def _refuse_second_decision(case: ModerationCase) -> None:
    """Another moderator decided first: name them and their decision."""
    first = db.session.scalar(sa.select(Decision).where(Decision.case_id == case.id))
    who = db.session.get(User, first.moderator_id) if first and first.moderator_id else None
    raise InvalidTransition(
        _("%(name)s decided this case first (%(decision)s). Your decision was not recorded; the case is "
          "shown as decided below.", name=who.display_name if who else _("Another moderator"),
          decision=labels.decision_label(first.type) if first else _("decided")),
        decision_id=first.id if first else None)


def _mail_decision(decision: Decision, case: ModerationCase | None, kind, obj) -> None:
    author = db.session.get(User, decision.subject_user_id) if decision.subject_user_id else None
    if not can_mail(author):
        return
    premoderated = case is not None and case.source == CaseSource.PREMODERATION
    ctx = {"user": author, "decision": decision, "title": item_title(kind, obj), "kind_label": str(kind.label()),
           "premoderated": premoderated, "url": absolute_url("moderation.mine"),
           "appeal_url": absolute_url("moderation.appeal", decision_id=decision.id)
           if decision.type in APPEALABLE else None}
    queue_mail(author.email, lambda: _("Moderation decision about your contribution"), "moderation/decision",
               ctx, user=author, dedupe_key=f"moderation:decision:{decision.id}")
