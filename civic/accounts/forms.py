"""Account forms. Validation that needs the database lives in the services;
these check shape and presence, with messages next to the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from civic.core.forms import coerce_optional_int


def district_choices(empty_label):
    """The districts as select choices, after an empty choice labelled ``empty_label``."""
    from civic.accounts.services import all_districts

    return [SelectChoice("", empty_label)] + [SelectChoice(str(d.id), d.name) for d in all_districts()]


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(_l("Enter the name other people will see.")), Length(max=80)])
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Enter your email address.")), Email(_l("Enter an email address like name@example.org."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password.")), Length(min=10, message=_l("Use at least 10 characters."))])
    district_id = SelectField(_l("Your district"), coerce=coerce_optional_int, validators=[Optional()], validate_choice=False)
    # The consents' checkboxes are drawn from the registry (civic.core.consents) by the
    # template; this field only carries the service's message next to them.
    consent = HiddenField()

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("I prefer not to say"))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device for 30 days"))


class EmailForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Enter your email address.")), Email(_l("Enter an email address like name@example.org."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")), Length(min=10, message=_l("Use at least 10 characters."))])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(_l("Enter the name other people will see.")), Length(max=80)])
    locale = SelectField(_l("Language"), choices=[SelectChoice("en", "English"), SelectChoice("fr", "Français")])
    district_id = SelectField(_l("Your district"), coerce=coerce_optional_int, validators=[Optional()], validate_choice=False)

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("I prefer not to say"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email address"), validators=[DataRequired(_l("Enter your email address.")), Email(_l("Enter an email address like name@example.org."))])
    password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your password."))])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your password."))])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")), Length(min=10, message=_l("Use at least 10 characters."))])


class DeleteAccountForm(FlaskForm):
    def validate(self, extra_validators=None):
        # An account made through FranceConnect has no password to ask for.
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False) and not current_user.password_hash:
            self.password.validators = []
        return super().validate(extra_validators)

    password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your password."))])
    confirm = BooleanField(_l("I understand that my account and personal data will be erased"), validators=[DataRequired(_l("Tick the box to confirm."))])


class CensusVerifyForm(FlaskForm):
    last_name = StringField(_l("Last name"), validators=[DataRequired(_l("Enter your last name."))])
    first_name = StringField(_l("First name(s)"), validators=[DataRequired(_l("Enter your first name."))])
    birth_date = DateField(_l("Date of birth"), validators=[DataRequired(_l("Enter your date of birth as YYYY-MM-DD."))])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(_l("Enter your postcode."))])


class FindPersonForm(FlaskForm):
    email = EmailField(_l("Email address of the person"), validators=[DataRequired(_l("Enter your email address."))])


class InPersonVerifyForm(FlaskForm):
    district_id = SelectField(_l("District of residence"), coerce=coerce_optional_int, validate_choice=False,
                              validators=[DataRequired(_l("Choose a district from the list."))])
    papers_seen = BooleanField(_l("I have seen an identity document and a proof of address"),
                               validators=[DataRequired(_l("Tick the box to confirm you saw the papers."))])
    note = StringField(_l("Note for the audit log"), validators=[Optional(), Length(max=200)])

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("Choose…"))


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the verification is revoked.")), Length(max=300)])


class DistrictForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the district's name.")), Length(max=120)])
    code = StringField(_l("Code"), validators=[DataRequired(_l("Use 1 to 20 letters, digits or dashes.")), Length(max=20)])
    postcodes = TextAreaField(_l("Postcodes"), validators=[Optional()])


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice("mediator", _l("Mediator")), SelectChoice("official", _l("Official")),
                                            SelectChoice("moderator", _l("Moderator")),
                                            SelectChoice("admin", _l("Administrator"))])
    district_id = SelectField(_l("Limited to district"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Optional(), Length(max=200)])

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.district_id.choices = district_choices(_l("All districts"))


class CensusUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[DataRequired(_l("Choose a CSV file."))])


class SettingsForm(FlaskForm):
    """Fields are added per registered setting by the view."""


class RequirementForm(FlaskForm):
    """What one action of a space asks of the person's verification."""

    action = SelectField(_l("Action"), validate_choice=False)
    min_level = SelectField(_l("Minimum level of verification"), coerce=coerce_optional_int, validate_choice=False,
                            validators=[Optional()])
    method = SelectField(_l("Or this method only"), validate_choice=False, validators=[Optional()])

    def __init__(self, actions, *a, **kw):
        from civic.accounts.verification import ACTIONS, LEVEL_LABELS, METHODS

        super().__init__(*a, **kw)
        self.action.choices = [SelectChoice(a, str(ACTIONS[a])) for a in actions]
        self.min_level.choices = [SelectChoice("", _l("No requirement (the space's own rules)"))] + [
            SelectChoice(str(k), str(v)) for k, v in LEVEL_LABELS.items()]
        self.method.choices = [SelectChoice("", _l("Any method"))] + [
            SelectChoice(k, str(m.label)) for k, m in METHODS.items()]


class RollUploadForm(FlaskForm):
    file = FileField(_l("Export of the electoral list (CSV)"), validators=[DataRequired(_l("Choose a CSV file."))])


class RollMappingForm(FlaskForm):
    """Which column of the export holds each field (guessed from the headers)."""

    birth_name = SelectField(_l("Birth name"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    usage_name = SelectField(_l("Usage name"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    given_names = SelectField(_l("Given names"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    birth_date = SelectField(_l("Date of birth"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    birth_place = SelectField(_l("Place of birth"), coerce=coerce_optional_int, validate_choice=False, validators=[Optional()])
    polling_station = SelectField(_l("Polling station"), coerce=coerce_optional_int, validate_choice=False,
                                  validators=[Optional()])

    def __init__(self, header, *a, **kw):
        super().__init__(*a, **kw)
        choices = [SelectChoice("", _l("(not in the file)"))] + [
            SelectChoice(str(i), h or _l("column %(n)d", n=i + 1)) for i, h in enumerate(header)]
        for name in ("birth_name", "usage_name", "given_names", "birth_date", "birth_place", "polling_station"):
            getattr(self, name).choices = choices

    def mapping(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("birth_name", "usage_name", "given_names", "birth_date", "birth_place", "polling_station")}


class RollCheckForm(FlaskForm):
    """What the mediator reads on the person's identity papers."""

    birth_name = StringField(_l("Birth name"), validators=[DataRequired(_l("Enter the birth name.")), Length(max=200)])
    given_names = StringField(_l("Given names, all of them"),
                              validators=[DataRequired(_l("Enter the given names.")), Length(max=200)])
    birth_date = DateField(_l("Date of birth"), validators=[DataRequired(_l("Enter the date of birth."))])
    papers_seen = BooleanField(_l("I have seen an identity document with these details"),
                               validators=[DataRequired(_l("Tick to confirm you saw the papers."))])


class LetterRequestForm(FlaskForm):
    address = TextAreaField(_l("Your name and postal address, as on an envelope"),
                            validators=[DataRequired(_l("Enter your postal address.")), Length(max=300)])


class LetterCodeForm(FlaskForm):
    code = StringField(_l("Code printed on the letter"),
                       validators=[DataRequired(_l("Type the code printed on the letter.")), Length(max=40)])


class LetterBatchForm(FlaskForm):
    """The CSRF token of the batch form (the letters are checkboxes)."""
