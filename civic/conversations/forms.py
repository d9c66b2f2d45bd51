"""Conversation forms: shape and presence; the rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from civic.conversations.models import QUESTION_MAX, STATEMENT_MAX


class StartForm(FlaskForm):
    question = StringField(_l("Question put to participants"),
                           validators=[DataRequired(_l("Write the question put to participants."))],
                           description=_l("For example: “What should the neighbourhood's new square be for?”"))
    seeds = TextAreaField(_l("Opening statements"), validators=[Optional()],
                          description=_l("One per line, up to 280 characters each: a few varied statements help "
                                         "the first participants start. Residents add theirs afterwards."))

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.question.render_kw = {"maxlength": QUESTION_MAX}


class StatementForm(FlaskForm):
    # The length is checked by the service on the cleaned text (its message says how long it is).
    text = TextAreaField(_l("Your statement"), validators=[DataRequired(_l("Write the statement."))],
                         description=_l("One idea others can agree or disagree with, up to 280 characters."))

    def __init__(self, *a, **kw):
        kw.setdefault("prefix", "statement")
        super().__init__(*a, **kw)
        self.text.render_kw = {"maxlength": STATEMENT_MAX + 20, "rows": 3}


class VoteForm(FlaskForm):
    statement_id = HiddenField()


class ImportForm(FlaskForm):
    comments = FileField(_l("comments.csv from the Polis export"),
                         validators=[DataRequired(_l("Choose the comments.csv file."))])
    votes = FileField(_l("votes.csv from the Polis export"),
                      validators=[DataRequired(_l("Choose the votes.csv file."))])


class StateForm(FlaskForm):
    pass
