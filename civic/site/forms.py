"""The admin forms of the site's identity, pages and accessibility
statement. They only shape input: the services validate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from civic.core.forms import select_choices
from civic.site.models import Conformance
from civic.site.services import FOOTER_LINKS_MAX


class Needed:
    """Marks a field as required in the page (no "(optional)"); the service says what is missing."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


class IdentityForm(FlaskForm):
    site_name = StringField(_l("Site name"), validators=[Needed()])
    territory_name = StringField(_l("Territory"))
    logo = FileField(_l("Logo"))
    logo_alt = StringField(_l("Text alternative of the logo"))
    remove_logo = BooleanField(_l("Remove the current logo"))
    accent = StringField(_l("Accent colour"))


for _i in range(FOOTER_LINKS_MAX):
    setattr(IdentityForm, f"link_label_{_i}", StringField(_l("Label of link %(n)s", n=_i + 1)))
    setattr(IdentityForm, f"link_url_{_i}", StringField(_l("Address of link %(n)s", n=_i + 1)))


class PageForm(FlaskForm):
    body = TextAreaField(_l("Text"))


def conformance_labels() -> dict:
    return {Conformance.FULL: _l("fully compliant"), Conformance.PARTIAL: _l("partially compliant"),
            Conformance.NONE: _l("not compliant")}


class StatementForm(FlaskForm):
    entity_name = StringField(_l("Name of the public body"), validators=[Needed()])
    site_url = StringField(_l("Address of the site"))
    status = SelectField(_l("Conformance status"), validators=[Needed()], validate_choice=False)
    rate = StringField(_l("Rate of RGAA criteria met (%)"))
    audit_date = DateField(_l("Date of the audit"), validators=[Optional()])
    audited_by = StringField(_l("Audit carried out by"))
    pages_audited = TextAreaField(_l("Pages audited"))
    non_conformities = TextAreaField(_l("Non-conformities"))
    derogations = TextAreaField(_l("Derogations for disproportionate burden"))
    not_subject = TextAreaField(_l("Content not subject to the obligation"))
    technologies = TextAreaField(_l("Technologies used"))
    tools = TextAreaField(_l("Tools used for the audit"))
    environment = TextAreaField(_l("Test environment (browsers and assistive technologies)"))
    contact_email = StringField(_l("Contact email"))
    contact_postal = TextAreaField(_l("Postal address"))
    contact_form_url = StringField(_l("Address of a contact form"))
    established_on = DateField(_l("Statement established or updated on"), validators=[Optional(), Needed()])

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.status.choices = select_choices([("", _l("Choose"))] + [(c.value, label) for c, label
                                                                     in conformance_labels().items()])
