"""Newsletter forms: they shape input; the services validate it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from civic.core.forms import coerce_optional_int, select_choices


class NewsletterForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Give the letter a subject.")), Length(max=200)])
    body = TextAreaField(_l("Letter"), validators=[DataRequired(_l("Write the letter."))],
                         description=_l("Markdown: *italics*, **bold**, lists, links written in full. "
                                        "Residents receive it as plain text, with no tracking and links as written."))
    district_id = SelectField(_l("Sent to"), coerce=coerce_optional_int, validators=[Optional()], validate_choice=False)

    def set_targets(self, districts, whole_city: bool):
        pairs = ([("", _l("Every resident who asked for the newsletter"))] if whole_city else [])
        self.district_id.choices = select_choices(pairs + [(str(d.id), d.name) for d in districts])


class ScheduleForm(FlaskForm):
    send_at = DateTimeLocalField(_l("Send on"), validators=[Optional()], format="%Y-%m-%dT%H:%M",
                                 description=_l("Local time. Leave empty to send within the minute."))
