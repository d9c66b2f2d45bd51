"""Deliberation forms: shape and presence; rules needing the database live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from civic.core.forms import coerce_optional_int, select_choices
from civic.deliberation.models import MAX_BODY


def alignment_choices():
    return select_choices([("for", _l("For")), ("against", _l("Against")), ("neutral", _l("Neutral, or a question"))])


class CommentForm(FlaskForm):
    # Length is checked by the service on the cleaned text (the message says how long it is).
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(_l("Write your comment."))],
                         description=_l("Up to 2,000 characters. You can use *italics*, **bold**, lists and links."))
    alignment = RadioField(_l("Your position"), choices=alignment_choices(), validators=[Optional()],
                           validate_choice=False)
    parent_id = HiddenField()

    def __init__(self, *a, sided: bool = False, **kw):
        # Prefixed ids ("comment-body"): the form sits on other modules' pages next to their forms.
        kw.setdefault("prefix", "comment")
        super().__init__(*a, **kw)
        self.sided = sided
        self.body.render_kw = {"maxlength": MAX_BODY + 200, "rows": 6, "data-maxlength": MAX_BODY}
        if not sided:
            del self.alignment


class DebateForm(FlaskForm):
    title = StringField(_l("Question put to debate"), validators=[DataRequired(_l("Give the debate a title.")),
                                                                 Length(max=200)])
    body = TextAreaField(_l("Framing"), validators=[DataRequired(_l("Explain the question and what is at stake."))],
                         description=_l("What is at stake, what is already decided, what is open. "
                                        "You can use *italics*, **bold**, lists and links."))
    district_id = SelectField(_l("Area"), coerce=coerce_optional_int, validators=[Optional()], validate_choice=False)
    ends_at = DateField(_l("Contributions until"), validators=[Optional()],
                        description=_l("Leave empty to keep it open until it is closed with a conclusion."))
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        from civic.accounts.services import all_districts

        self.district_id.choices = select_choices([("", _l("The whole city"))]
                                                  + [(str(d.id), d.name) for d in all_districts()])


class CloseDebateForm(FlaskForm):
    conclusion = TextAreaField(_l("Conclusion"), validators=[DataRequired(
        _l("Write the conclusion: what was heard, and what happens next."))],
        description=_l("What was heard, what the city decides or will study, and when people will hear more."))


class CloseCommentsForm(FlaskForm):
    reason = StringField(_l("Reason shown to readers"), validators=[Optional(), Length(max=300)])
