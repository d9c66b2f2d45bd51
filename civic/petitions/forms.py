"""Petition forms: shape and presence; the services check the rest."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from civic.core.forms import coerce_optional_int, select_choices
from civic.petitions.labels import DECISIONS, HIDE_REASONS, REJECT_REASONS, REMOVE_REASONS, TOPICS


def _districts(empty):
    from civic.accounts.services import all_districts

    return select_choices([("", empty)] + [(str(d.id), d.name) for d in all_districts()])


class PetitionForm(FlaskForm):
    title = StringField(_l("What do you ask for?"), validators=[DataRequired(_l("Say what action you ask for.")),
                                                                  Length(max=80)],
                        description=_l("An action, in 80 characters at most. For example: “Install drinking "
                                       "fountains in the Raymond VI garden”."))
    background = TextAreaField(_l("Why?"), validators=[DataRequired(_l("Explain in a few sentences why this action "
                                                                       "is needed.")), Length(max=300)],
                               description=_l("300 characters at most."))
    details = TextAreaField(_l("More details"), validators=[Optional(), Length(max=800)],
                            description=_l("800 characters at most. Facts, places, figures."))
    topic = SelectField(_l("Topic"), choices=select_choices(TOPICS.items()), default="other")
    district_id = SelectField(_l("Where?"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    decision_maker = StringField(_l("Who can decide?"), validators=[Optional(), Length(max=120)],
                                 description=_l("For example the deputy mayor for sport, or the district council."))
    legal_kind = RadioField(_l("Type of petition"), default="", validators=[Optional()],
                            choices=select_choices([
                                ("", _l("Petition to the city (an official response past the threshold)")),
                                ("I", _l("Request to the council (art. L1112-16), kind I: organise a consultation "
                                         "on a matter the council decides")),
                                ("II", _l("Request to the council (art. L1112-16), kind II: put a matter within its "
                                          "competence on its agenda, to ask it to decide in a given direction"))]),
                            description=_l("Only electors registered in the commune sign a request to the council."))

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = _districts(_l("The whole city"))


class SignForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=100)])
    email = EmailField(_l("Your email address"), validators=[DataRequired(_l("Enter your email address.")),
                                                             Email(_l("Enter an email address like name@example.org."))],
                       description=_l("We send you a link to confirm your signature. We never show your address."))
    postcode = StringField(_l("Your postcode"), validators=[DataRequired(_l("Enter your postcode."))],
                           description=_l("Used to count signatures by district."))
    attest = BooleanField(_l("I live, work or study in the city, and I sign only once"),
                          validators=[DataRequired(_l("Tick the box to confirm you may sign."))])
    notify = BooleanField(_l("Email me the official response and news about this petition"))


class OneClickForm(FlaskForm):
    notify = BooleanField(_l("Email me the official response and news about this petition"))


class ButtonForm(FlaskForm):
    """A POST with only its CSRF token (confirm, withdraw, submit...)."""


class ModerationForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=select_choices([("approve", _l("Publish")),
                                                                   ("reject", _l("Reject (reason shown)")),
                                                                   ("hide", _l("Hide (reason not shown)"))]),
                          validators=[DataRequired(_l("Choose a decision."))])
    reject_code = SelectField(_l("Reason for rejecting"), choices=select_choices([("", "—"), *REJECT_REASONS.items()]),
                              validators=[Optional()])
    hide_code = SelectField(_l("Reason for hiding"), choices=select_choices([("", "—"), *HIDE_REASONS.items()]),
                            validators=[Optional()])
    explanation = TextAreaField(_l("Explanation for the creator"), validators=[Optional(), Length(max=2000)])


class RemoveForm(FlaskForm):
    code = SelectField(_l("Reason"), choices=select_choices([("", "—"), *REMOVE_REASONS.items()]), validators=[Optional()])
    explanation = TextAreaField(_l("Explanation shown on the page"), validators=[Optional(), Length(max=2000)])


class ResponseForm(FlaskForm):
    decision = SelectField(_l("Decision taken"), choices=select_choices([("", "—"), *DECISIONS.items()]),
                           validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(_l("Write a short summary of the response.")),
                                                       Length(max=600)])
    body = TextAreaField(_l("Full response"), validators=[DataRequired(_l("Write the full response."))],
                         description=_l("You can use Markdown: **bold**, lists, links."))


class DebateForm(FlaskForm):
    debate_date = DateField(_l("Date of the debate"), validators=[DataRequired(_l("Enter the date of the debate."))])
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(_l("Write a short summary of the debate.")),
                                                       Length(max=600)])
    url = StringField(_l("Link to the recording or minutes"), validators=[Optional(), Length(max=500)])
    body = TextAreaField(_l("More details"), validators=[Optional()])


class UpdateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give your update a title.")), Length(max=120)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write your update.")), Length(max=2000)])


class PaperForm(FlaskForm):
    name = StringField(_l("Signer's name"), validators=[DataRequired(_l("Enter the signer's name.")), Length(max=100)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(_l("Enter the postcode written on the sheet."))])
    signed_on = DateField(_l("Date of signature"), validators=[DataRequired(_l("Enter the date written on the sheet, "
                                                                               "while the petition was open."))])
    batch = StringField(_l("Batch reference"), validators=[DataRequired(_l("Enter the reference of the batch of "
                                                                           "sheets (at most 60 characters).")),
                                                           Length(max=60)],
                        description=_l("Written on the envelope of the sheets, for example MAIRIE-T06-2025-03."))


class InvalidationForm(FlaskForm):
    petition_id = IntegerField(_l("Petition number"), validators=[Optional()])
    ip = StringField(_l("IP address"), validators=[Optional()])
    cidr = StringField(_l("Network (CIDR)"), validators=[Optional()], description=_l("For example 203.0.113.0/24"))
    domain = StringField(_l("Email domain"), validators=[Optional()])
    email_pattern = StringField(_l("Email pattern"), validators=[Optional()],
                                description=_l("* matches anything, for example bot*@example.org"))
    since = DateField(_l("Signed from"), validators=[Optional()])
    until = DateField(_l("Signed until"), validators=[Optional()])
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[Optional(), Length(max=1000)])


class LegalPaperForm(FlaskForm):
    """A paper signature of a request to the council: the identity is checked on the electoral roll."""
    family_name = StringField(_l("Birth name"), validators=[DataRequired(_l("Enter the signer's birth name as "
                                                                            "written on the sheet.")),
                                                            Length(max=100)])
    given_names = StringField(_l("Given names"), validators=[DataRequired(_l("Enter the signer's given names as "
                                                                             "written on the sheet.")),
                                                             Length(max=100)])
    birthdate = DateField(_l("Birth date"), validators=[DataRequired(_l("Enter the birth date written on the sheet."))])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(_l("Enter the postcode written on the sheet."))])
    signed_on = DateField(_l("Date of signature"), validators=[DataRequired(_l("Enter the date written on the sheet, "
                                                                               "while the petition was open."))])
    batch = StringField(_l("Batch reference"), validators=[DataRequired(_l("Enter the reference of the batch of "
                                                                           "sheets (at most 60 characters).")),
                                                           Length(max=60)])


class AcknowledgeForm(FlaskForm):
    received_on = DateField(_l("Date of receipt"), validators=[DataRequired(_l("Enter the date of receipt."))])


class InformedForm(FlaskForm):
    session_id = SelectField(_l("Session at which the council was informed"), coerce=coerce_optional_int,
                             validate_choice=False, validators=[Optional()])


class DecisionForm(FlaskForm):
    decided_on = DateField(_l("Date of the deliberation"),
                           validators=[DataRequired(_l("Enter the date of the council's deliberation, after receipt."))])
    number = StringField(_l("Deliberation number"), validators=[Optional(), Length(max=40)])
    text = TextAreaField(_l("The council's decision"), validators=[Optional()],
                         description=_l("You can use Markdown: **bold**, lists, links."))
    url = StringField(_l("Link to the deliberation"), validators=[Optional(), Length(max=500)])


class CouncilSessionForm(FlaskForm):
    held_on = DateField(_l("Date of the session"), validators=[DataRequired(_l("Enter the date of the session."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the session a title.")), Length(max=160)])
    authority = StringField(_l("Assembly"), validators=[Optional(), Length(max=160)],
                            description=_l("Empty: the authority legal requests are addressed to."))
