"""Moderation forms: shape and presence only; the services decide the rest."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from civic.core.forms import select_choices
from civic.moderation import labels
from civic.moderation.models import DecisionType


def _reason_choices(empty_label=None):
    choices = [(r.value, label) for r, label in labels.REASONS.items()]
    return select_choices(([("", empty_label)] if empty_label else []) + choices)


class ReportForm(FlaskForm):
    reason = RadioField(_l("What is the problem?"), choices=_reason_choices(),
                        validators=[DataRequired(_l("Choose what the problem is."))])
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=1000)],
                            description=_l("Optional (needed for “Other”). Do not repeat personal data here."))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=select_choices([
        (DecisionType.KEEP.value, _l("Keep: the content breaks no rule; dismiss the reports")),
        (DecisionType.HIDE.value, _l("Hide the content")),
        (DecisionType.REDACT.value, _l("Edit out personal data and keep the rest")),
    ]), validators=[DataRequired(_l("Choose a decision."))])
    reason_code = SelectField(_l("Rule broken"), choices=_reason_choices(_l("None (content kept)")),
                              validators=[Optional()],
                              description=_l("Needed to hide or edit; leave empty to keep."))
    statement = TextAreaField(_l("Statement of reasons"), validators=[DataRequired(_l("Explain the decision."))],
                              description=_l("Sent to the author: say what is wrong and which rule applies."))
    redacted_text = TextAreaField(_l("Text without the personal data"), validators=[Optional()],
                                  description=_l("Only when editing out personal data. The original is kept for "
                                                 "moderators and the audit trail."))


BLOCK_DURATIONS = select_choices([("7", _l("7 days")), ("30", _l("30 days")), ("90", _l("3 months")),
                                  ("365", _l("1 year")), ("permanent", _l("Permanently"))])


class BlockForm(FlaskForm):
    duration = SelectField(_l("Duration"), choices=BLOCK_DURATIONS,
                           validators=[DataRequired(_l("Choose a duration from the list."))])
    reason_code = SelectField(_l("Rule broken"), choices=_reason_choices(_l("Choose…")),
                              validators=[DataRequired(_l("Choose a reason from the list."))])
    statement = TextAreaField(_l("Statement of reasons"), validators=[DataRequired(_l("Explain the decision."))],
                              description=_l("Sent to the person with how to appeal."))


class UnblockForm(FlaskForm):
    reason = StringField(_l("Why is the block lifted?"),
                         validators=[DataRequired(_l("Say why the block is lifted.")), Length(max=300)])


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Why should the decision change?"),
                         validators=[DataRequired(_l("Explain why the decision should change.")), Length(max=4000)],
                         description=_l("A moderator other than the one who decided will read it and answer by email."))


class AppealDecisionForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=select_choices([
        ("upheld", _l("Confirm the decision")),
        ("overturned", _l("Reverse the decision (undo its effects)")),
    ]), validators=[DataRequired(_l("Choose whether to confirm or reverse the decision."))])
    statement = TextAreaField(_l("Statement of reasons"), validators=[DataRequired(_l("Explain the decision."))],
                              description=_l("Sent to the person who appealed."))
