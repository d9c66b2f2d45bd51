"""Consultation forms: shape and presence; rules that need the database live
in the services. The questionnaire itself is built from the questions (see
``services.parse_answers`` and ``consultations/_questions.html``), not with
WTForms, because its fields are data."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from civic.accounts.forms import district_choices
from civic.core.forms import RowEditor, coerce_optional_int, select_choices

from .labels import ELIGIBILITY_LABELS, KIND_LABELS, OUTCOME_LABELS
from .models import Eligibility, Outcome, QuestionKind
from .services.editing import MAX_DOCUMENTS
from .services.followup import MAX_STEPS


class ConsultationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the consultation a title.")), Length(max=200)])
    context = TextAreaField(_l("Context"), validators=[Optional()],
                            description=_l("What is at stake, what is already decided, what can still change. "
                                           "Markdown: **bold**, lists, links."))
    district_id = SelectField(_l("Area concerned"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[Optional()])
    eligibility = RadioField(_l("Who may answer"), choices=select_choices((e.value, ELIGIBILITY_LABELS[e]) for e in Eligibility),
                             default=Eligibility.CONFIRMED_EMAIL.value,
                             validators=[DataRequired(_l("Choose who may answer."))])
    district_ids = SelectMultipleField(_l("Districts whose verified residents may answer"), coerce=int,
                                       validate_choice=False, validators=[Optional()],
                                       description=_l("Only used with “verified residents of the chosen districts”."))
    opens_on = DateField(_l("Opens on"), validators=[DataRequired(_l("Enter the opening date."))])
    closes_on = DateField(_l("Closes at the end of"), validators=[DataRequired(_l("Enter the closing date."))])
    results_due_on = DateField(_l("Results and official follow-up published by"),
                               validators=[DataRequired(_l("Enter the date by which results and the follow-up "
                                                           "will be published."))],
                               description=_l("This date is public: the accountability page shows whether it is kept."))
    free_text_private = BooleanField(_l("Keep free-text answers private (only counts are published)"))

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("The whole city"))
        self.district_ids.choices = [SelectChoice(int(c.value), c.label) for c in district_choices("") if c.value]


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Type of question"), choices=select_choices((k.value, KIND_LABELS[k]) for k in QuestionKind))
    prompt = StringField(_l("Question"), validators=[DataRequired(_l("Write the question.")), Length(max=500)])
    help_text = StringField(_l("Help text"), validators=[Optional(), Length(max=1000)])
    choices = TextAreaField(_l("Options"), validators=[Optional()],
                            description=_l("One per line (choice and ranking questions)."))
    max_choices = IntegerField(_l("Most options one may tick or rank"), validators=[Optional(), NumberRange(min=1)],
                               description=_l("Empty: all of them."))
    required = BooleanField(_l("An answer is required"), default=True)
    allow_other = BooleanField(_l("Offer “Other” with a text field (choice questions)"))


class CloseForm(FlaskForm):
    reason = StringField(_l("Reason for closing early"), validators=[Optional(), Length(max=300)])


class PaperForm(FlaskForm):
    person_email = EmailField(_l("Email address of the person, if they have an account"), validators=[Optional()])
    paper_reference = StringField(_l("Number of the paper form, if they have no account"),
                                  validators=[Optional(), Length(max=60)])
    district_id = SelectField(_l("District where the person lives (without an account)"),
                              coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    notify = BooleanField(_l("The person wants an email when results and the follow-up are published"))

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("Not known"))


class FollowupForm(FlaskForm):
    heard = TextAreaField(_l("What we heard"), validators=[Optional()],
                          description=_l("A faithful synthesis of the answers, including the views the city does "
                                         "not follow. Markdown."))


class DecisionForm(FlaskForm):
    title = StringField(_l("Decision"), validators=[DataRequired(_l("Say what was decided.")), Length(max=300)])
    text = TextAreaField(_l("Explanation"), validators=[Optional()])
    question_id = SelectField(_l("Answers that led to it"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[Optional()])


class LinkForm(FlaskForm):
    kind = SelectField(_l("Kind of contribution"))
    object_id = IntegerField(_l("Number of the contribution"),
                             validators=[DataRequired(_l("Enter the number of the contribution."))],
                             description=_l("The number at the end of its address."))
    outcome = RadioField(_l("What became of it"), choices=select_choices((o.value, OUTCOME_LABELS[o]) for o in Outcome),
                         validators=[DataRequired(_l("Choose what became of the contribution."))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give the reason: people deserve to know why."))])


# Structured editors (civic.core.forms.RowEditor): the inputs of each row.
DOCUMENT_FIELDS = ("title", "url")
STEP_FIELDS = ("date", "text")


def documents_editor(rows=None) -> RowEditor:
    """The documents' rows: those posted, else ``rows`` (a consultation's own)."""
    if request.method == "POST":
        return RowEditor.from_form("documents", DOCUMENT_FIELDS, request.form, max_rows=MAX_DOCUMENTS,
                                   too_many=_l("Give at most %(n)d documents.", n=MAX_DOCUMENTS))
    return RowEditor("documents", DOCUMENT_FIELDS, rows or (), max_rows=MAX_DOCUMENTS)


def steps_editor(rows=None) -> RowEditor:
    """The next steps' rows: those posted with the follow-up's own form, else
    ``rows`` (the saved steps; the page's other forms do not post them)."""
    if request.method == "POST" and request.form.get("action") == "save":
        return RowEditor.from_form("next_steps", STEP_FIELDS, request.form, max_rows=MAX_STEPS,
                                   too_many=_l("Give at most %(n)d steps.", n=MAX_STEPS))
    return RowEditor("next_steps", STEP_FIELDS, rows or (), max_rows=MAX_STEPS)
