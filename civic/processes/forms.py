"""Forms of the processes module: shape and presence only; rules that need
the database are in the services, whose errors come back next to the fields."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from civic.accounts.forms import district_choices
from civic.core.forms import coerce_optional_int, select_choices
from civic.core.pictures import PictureFields
from civic.processes.labels import PHASE_CODES, PHASE_LABELS, STATUS_LABELS

MARKDOWN_HINT = _l("You can use simple formatting: **bold**, *italic*, lists starting with “-”, and links.")


def phase_code_choices():
    return select_choices((code, PHASE_LABELS[code]) for code in PHASE_CODES)


def capability_choices():
    return select_choices([("submit", _l("Submit proposals")), ("support", _l("Support proposals")),
                           ("comment", _l("Comment on proposals")), ("vote", _l("Vote in the budget")),
                           ("answer", _l("Answer the questionnaire"))])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProcessForm(PictureFields, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the process a title.")), Length(max=200)])
    summary = StringField(_l("Summary"), validators=[DataRequired(_l("Write a one-sentence summary.")),
                                                     Length(max=500)])
    description = TextAreaField(_l("Full description"), validators=[Optional(), Length(max=20000)],
                                description=MARKDOWN_HINT)
    district_id = SelectField(_l("District"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[Optional()])
    categories = TextAreaField(_l("Categories"), validators=[Optional(), Length(max=3000)],
                               description=_l("One per line, for example “Mobility”. Leave empty for none."))
    requires_verification = BooleanField(_l("Only verified residents of the district can submit and support"))
    support_limit = IntegerField(_l("Supports per person in this process"), validators=[Optional()],
                                 description=_l("Leave empty for no limit."))
    threshold_type = SelectField(_l("Support threshold"), choices=select_choices([
        ("none", _l("No threshold: every proposal gets an official answer")),
        ("count", _l("A number of supports")),
        ("percent", _l("A percentage of the verified residents of the district"))]))
    threshold_value = StringField(_l("Threshold value"), validators=[Optional()],
                                  description=_l("A number of supports, or a percentage such as 1 or 0.5."))
    answer_delay_days = IntegerField(_l("Days to answer once the threshold is reached"),
                                     validators=[DataRequired(_l("Enter a number of days.")),
                                                 NumberRange(min=1, max=730)], default=90)
    budget_id = IntegerField(_l("Number of the linked participatory budget"), validators=[Optional()])
    consultation_id = IntegerField(_l("Number of the linked consultation"), validators=[Optional()])

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("The whole city"))

    def threshold_number(self) -> int | None:
        """The threshold as stored: supports, or hundredths of a percent."""
        raw = (self.threshold_value.data or "").strip().replace(",", ".").rstrip("%").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return -1
        if self.threshold_type.data == "percent":
            return int((value * 100).to_integral_value())
        return int(value) if value == value.to_integral_value() else -1


class PhaseRowForm(Form):
    code = SelectField(_l("Kind of phase"), choices=select_choices([("", _l("(no phase)"))]), validate_choice=False)
    title = StringField(_l("Title shown"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on (included)"), validators=[Optional()])
    capabilities = MultiCheckboxField(_l("What residents can do"), validate_choice=False)
    description = StringField(_l("Short description"), validators=[Optional(), Length(max=500)])


MAX_PHASES = 12
FIRST_ROWS = 6  # rows offered to a process without phases yet


class PhasesForm(FlaskForm):
    # Rows are added and removed with the structured editor's buttons
    # (civic.core.forms.edit_posted_rows, static/rows.js).
    rows = FieldList(FormField(PhaseRowForm), min_entries=1, max_entries=MAX_PHASES)

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        for row in self.rows:
            choose_phase_row(row.form)

    def add_row(self) -> None:
        choose_phase_row(self.rows.append_entry().form)


def choose_phase_row(row) -> None:
    row.code.choices = select_choices([("", _l("(no phase)"))]) + phase_code_choices()
    row.capabilities.choices = capability_choices()


def phase_row_template() -> PhaseRowForm:
    """An empty row named ``rows-__i__-…``, the template the script copies."""
    row = PhaseRowForm(prefix="rows-__i__-")
    choose_phase_row(row)
    return row


class MovePhaseForm(FlaskForm):
    phase_id = SelectField(_l("Phase to enter now"), coerce=coerce_optional_int, validate_choice=False,
                           validators=[DataRequired(_l("Choose a phase."))])
    reason = StringField(_l("Reason (kept in the audit log)"),
                         validators=[DataRequired(_l("Say why the phase is moved by hand.")), Length(max=300)])


class ResultsForm(FlaskForm):
    results = TextAreaField(_l("Results and follow-up"), validators=[DataRequired(_l("Write the results.")),
                                                                     Length(max=20000)], description=MARKDOWN_HINT)


class ProposalForm(PictureFields, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give your proposal a title.")),
                                                 Length(min=8, max=200)],
                        description=_l("A short sentence that says what you propose."))
    body = TextAreaField(_l("Your proposal"), validators=[DataRequired(_l("Describe your proposal.")),
                                                         Length(max=20000)],
                         description=_l("What, where, for whom, and why. You can use simple formatting."))
    district_id = SelectField(_l("District concerned"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[Optional()])
    category = SelectField(_l("Category"), validate_choice=False, validators=[Optional()])
    place = StringField(_l("Address or place name"), validators=[Optional(), Length(max=200)],
                        description=_l("For example “Place Arnaud-Bernard” or “12 rue des Lois”."))
    similar_seen = HiddenField()

    def setup(self, process):
        if process.district_id is not None:
            self.district_id.choices = select_choices([(str(process.district_id), process.district.name)])
        else:
            self.district_id.choices = district_choices(_l("The whole city"))
        self.category.choices = select_choices([("", _l("Choose…"))] + [(c, c) for c in process.categories])
        return self


class ClarificationForm(FlaskForm):
    text = TextAreaField(_l("Clarification"), validators=[DataRequired(_l("Write your clarification.")),
                                                          Length(max=5000)],
                         description=_l("Shown dated under your text. It does not change what people supported."))


class AmendmentForm(FlaskForm):
    title = StringField(_l("Amended title"), validators=[DataRequired(_l("Give the amended title.")),
                                                         Length(max=200)])
    body = TextAreaField(_l("Amended text"), validators=[DataRequired(_l("Write the amended text.")),
                                                         Length(max=20000)])
    explanation = TextAreaField(_l("What your amendment changes and why"),
                                validators=[DataRequired(_l("Explain what your amendment changes and why.")),
                                            Length(max=2000)])


class AmendmentDecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Optional(), Length(max=2000)])


class SupportForm(FlaskForm):
    notify = BooleanField(_l("Email me the official answer"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why do you withdraw your proposal?"),
                           validators=[DataRequired(_l("Say why you withdraw your proposal.")), Length(max=2000)],
                           description=_l("Shown publicly on the proposal."))


class AnswerForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=select_choices([("accepted", _l("Accept")),
                                                                   ("rejected", _l("Reject"))]))
    answer = TextAreaField(_l("Official answer"), validators=[DataRequired(_l("Write the official answer.")),
                                                             Length(max=20000)],
                           description=_l("Public. Give the reasons of the decision and what happens next."))


class EvaluatingForm(FlaskForm):
    note = StringField(_l("Note for the audit log"), validators=[Optional(), Length(max=300)])


class UpdateForm(FlaskForm):
    status = SelectField(_l("Implementation status"), choices=[])
    progress = IntegerField(_l("Progress (percent)"), validators=[Optional(), NumberRange(min=0, max=100)])
    note = TextAreaField(_l("What happened"), validators=[DataRequired(_l("Write what happened.")),
                                                          Length(max=5000)])

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.status.choices = select_choices((k.value, v) for k, v in STATUS_LABELS.items())
