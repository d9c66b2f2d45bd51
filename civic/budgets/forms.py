"""Budget forms: shape and presence; rules that need the database are in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from civic.core.forms import coerce_optional_int, select_choices
from civic.core.pictures import PictureFields

from .models import IMPLEMENTATION_LABELS, SELECTION_RULE_LABELS, VOTE_RULE_LABELS


class ProjectForm(PictureFields, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give your project a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), description=_l("What, where, for whom. You can use Markdown: **bold**, lists, links."),
                                validators=[DataRequired(_l("Describe the project: what, where, for whom."))])
    envelope_id = SelectField(_l("Where"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[DataRequired(_l("Choose where the project takes place."))])
    location = StringField(_l("Address or place name"), validators=[Optional(), Length(max=200)])
    estimated_cost = IntegerField(_l("Estimated cost"), description=_l("In whole euros; the city checks it during the review."),
                                  validators=[InputRequired(_l("Give an estimated cost, in whole currency units.")),
                                              NumberRange(min=1, message=_l("Give an estimated cost, in whole currency units."))])


class PictureForm(PictureFields, FlaskForm):
    """Replace, remove or re-describe a project's picture."""


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=select_choices([("feasible", _l("Feasible: it goes to the vote")),
                                                                  ("unfeasible", _l("Not feasible"))]),
                          validators=[DataRequired(_l("Choose a decision."))])
    final_cost = IntegerField(_l("Cost set by the city"), validators=[Optional()])
    reason = TextAreaField(_l("Public reason"), validators=[Optional(), Length(max=3000)])


class MergeForm(FlaskForm):
    into_id = SelectField(_l("Merge into"), coerce=coerce_optional_int, validate_choice=False,
                          validators=[DataRequired(_l("Choose another project of the same envelope."))])
    note = TextAreaField(_l("Public note"), validators=[DataRequired(_l("Explain publicly why the projects are merged.")),
                                                        Length(max=3000)])


class UpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=select_choices((s.value, label) for s, label in IMPLEMENTATION_LABELS.items()))
    progress = IntegerField(_l("Progress (%)"), validators=[InputRequired(_l("Give a percentage between 0 and 100.")),
                                                            NumberRange(min=0, max=100, message=_l("Give a percentage between 0 and 100."))])
    body = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=5000)])
    cancel_reason = TextAreaField(_l("Reason for cancelling"), validators=[Optional(), Length(max=3000)])


class RulesMixin:
    vote_rule = SelectField(_l("How residents vote"), choices=select_choices((k.value, v) for k, v in VOTE_RULE_LABELS.items()))
    selection_rule = SelectField(_l("How winners are computed"),
                                 choices=select_choices((k.value, v) for k, v in SELECTION_RULE_LABELS.items()))
    min_choices = IntegerField(_l("Approval: minimum number of projects"), validators=[Optional()])
    max_choices = IntegerField(_l("Approval: maximum number of projects"), validators=[Optional()])
    min_spend_percent = IntegerField(_l("Budget: minimum share of the envelope to spend (%)"), validators=[Optional()])
    points_total = IntegerField(_l("Points: points per voter"), validators=[Optional()])
    points_max_per_project = IntegerField(_l("Points: most points per project"), validators=[Optional()])
    rank_max = IntegerField(_l("Ranking: how many projects a voter may rank"), validators=[Optional()])


class RulesForm(RulesMixin, FlaskForm):
    pass


class EditionForm(RulesMixin, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the edition a title.")), Length(max=200)])
    description = TextAreaField(_l("Presentation"), validators=[Optional()])
    total_amount = IntegerField(_l("Total amount"), validators=[InputRequired(_l("Give the total amount, in whole currency units."))])
    currency = StringField(_l("Currency"), default="EUR", validators=[DataRequired(_l("Use a three-letter currency code such as EUR.")), Length(max=3)])
    information = DateField(_l("Information starts"), validators=[Optional()])
    submission = DateField(_l("Submission of projects starts"), validators=[Optional()])
    review = DateField(_l("Feasibility review starts"), validators=[Optional()])
    voting = DateField(_l("Voting opens"), validators=[DataRequired(_l("Give the date voting opens."))])
    results = DateField(_l("Voting closes (results)"), validators=[DataRequired(_l("Give the date voting closes and results are computed."))])
    implementation = DateField(_l("Implementation starts"), validators=[Optional()])


class EnvelopeForm(FlaskForm):
    district_id = SelectField(_l("District"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    amount = IntegerField(_l("Amount"), validators=[InputRequired(_l("Give the envelope's amount."))])

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        from civic.accounts.services import all_districts

        self.district_id.choices = select_choices([("", _l("Whole city"))] + [(str(d.id), d.name) for d in all_districts()])


class MovePhaseForm(FlaskForm):
    phase_id = SelectField(_l("New current phase"), coerce=coerce_optional_int, validate_choice=False,
                           validators=[DataRequired(_l("Choose a phase."))])
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[DataRequired(_l("Say why the phase is moved by hand.")),
                                                                           Length(max=300)])


class PaperBallotForm(FlaskForm):
    reference = StringField(_l("Ballot reference number"), validators=[DataRequired(_l("Give the number written on the paper ballot.")), Length(max=60)])
    last_name = StringField(_l("Voter's last name"), validators=[DataRequired(_l("Enter the voter's last name."))])
    first_name = StringField(_l("Voter's first name(s)"), validators=[DataRequired(_l("Enter the voter's first name."))])
    birth_date = DateField(_l("Voter's date of birth"), validators=[DataRequired(_l("Enter the voter's date of birth as YYYY-MM-DD."))])
    postcode = StringField(_l("Voter's postcode"), validators=[DataRequired(_l("Enter the voter's postcode."))])
    email = StringField(_l("Email of the voter's account, if they have one"), validators=[Optional(), Length(max=320)])



class BallotForm(FlaskForm):
    """CSRF and the error summary; the choices are read per rule by the view
    (one checkbox, points box or rank menu per project)."""
