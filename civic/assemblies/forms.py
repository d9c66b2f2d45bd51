"""Forms of the assemblies module: shape and presence only; the rules are in
the services, whose errors come back next to the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from civic.assemblies.labels import DECISION_LABELS, STATUS_LABELS
from civic.core.forms import coerce_optional_int, select_choices

MARKDOWN_HINT = _l("You can use simple formatting: **bold**, *italic*, lists starting with “-”, and links.")


class AssemblyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the assembly a title."))])
    summary = StringField(_l("Summary"), validators=[DataRequired(_l("Write a one-sentence summary."))])
    mandate = TextAreaField(_l("Mandate: the question put to the assembly"), description=MARKDOWN_HINT,
                            validators=[DataRequired(_l("Write the question put to the assembly."))])
    size = IntegerField(_l("Number of members"), validators=[InputRequired(_l("Enter the number of members."))])
    district_id = SelectField(_l("District"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[Optional()])
    answer_delay_days = IntegerField(_l("Days the city has to answer each recommendation"), default=90,
                                     validators=[InputRequired(_l("Enter a number of days."))])


class SittingForm(FlaskForm):
    title = StringField(_l("Title of the session"), validators=[DataRequired(_l("Give the session a title."))])
    day = DateField(_l("Day"), validators=[InputRequired(_l("Enter the day of the session."))])
    starts = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the start time."))])
    ends = TimeField(_l("End time"), validators=[InputRequired(_l("Enter the end time."))])
    place = StringField(_l("Place"))
    summary = TextAreaField(_l("Programme or summary"), description=MARKDOWN_HINT)


class DocumentForm(FlaskForm):
    title = StringField(_l("Title of the document"), validators=[DataRequired(_l("Give the document a title."))])
    url = StringField(_l("Web address of the document"), description=_l("Optional, starting with https://"))
    description = TextAreaField(_l("Description"))
    sitting_id = SelectField(_l("Session"), coerce=coerce_optional_int, validate_choice=False,
                             validators=[Optional()])


class HearingForm(FlaskForm):
    expert = StringField(_l("Expert heard"), validators=[DataRequired(_l("Name the expert heard."))])
    affiliation = StringField(_l("Organisation or role"))
    topic = StringField(_l("Topic"), validators=[DataRequired(_l("Give the topic of the hearing."))])
    summary = TextAreaField(_l("Summary of the hearing"), description=MARKDOWN_HINT)
    sitting_id = SelectField(_l("Session"), coerce=coerce_optional_int, validate_choice=False,
                             validators=[Optional()])


class MemberForm(FlaskForm):
    first_name = StringField(_l("First name"))
    email = StringField(_l("Email of the member's account"),
                        description=_l("Optional: with it, the member chooses themselves whether their first name is shown."))
    show_name = BooleanField(_l("Show the first name (the member agreed)"))


class GroupForm(FlaskForm):
    name = StringField(_l("Name of the working group"),
                       validators=[DataRequired(_l("Give the working group a name."))])
    remit = TextAreaField(_l("Remit"), description=MARKDOWN_HINT)
    member_ids = SelectMultipleField(_l("Members of the group"), coerce=int, validate_choice=False,
                                     widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class RecommendationForm(FlaskForm):
    title = StringField(_l("Title of the recommendation"),
                        validators=[DataRequired(_l("Give the recommendation a title."))])
    body = TextAreaField(_l("Text adopted"), description=MARKDOWN_HINT,
                         validators=[DataRequired(_l("Write the text adopted."))])
    votes_for = IntegerField(_l("Votes for"), validators=[InputRequired(_l("Enter the number of votes."))])
    votes_against = IntegerField(_l("Votes against"), validators=[InputRequired(_l("Enter the number of votes."))])
    votes_abstain = IntegerField(_l("Abstentions"), validators=[InputRequired(_l("Enter the number of votes."))])
    adopted_on = DateField(_l("Day of the vote"), validators=[InputRequired(_l("Enter the day of the vote."))])
    group_id = SelectField(_l("Working group"), coerce=coerce_optional_int, validate_choice=False,
                           validators=[Optional()])


class AnswerForm(FlaskForm):
    decision = SelectField(_l("Decision"), validators=[InputRequired(_l("Choose a decision from the list."))],
                           choices=select_choices([("", _l("Choose…"))] + list(DECISION_LABELS.items())),
                           validate_choice=False)
    answer = TextAreaField(_l("Official answer, with its reasons"), description=MARKDOWN_HINT,
                           validators=[DataRequired(_l("Write the official answer."))])


class UpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=select_choices(list(STATUS_LABELS.items())), validate_choice=False)
    progress = IntegerField(_l("Progress (percent)"), validators=[InputRequired(_l("Enter a percentage between 0 and 100."))])
    note = TextAreaField(_l("What happened"), description=MARKDOWN_HINT,
                         validators=[DataRequired(_l("Write what happened."))])


class NameShownForm(FlaskForm):
    show_name = BooleanField(_l("Show my first name on the assembly's page"))
