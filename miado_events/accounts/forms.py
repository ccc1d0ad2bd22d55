from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..models.accounts import Role
from .passwords import MIN_LENGTH

ROLE_LABELS = Role.labels()  # defined once, on the enum


def language_choices():
    return list(current_app.config["LANGUAGES"].items())


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)],
                       description=_l("As it should appear on lists and certificates."))
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)],
        description=_l("At least %(n)d characters.", n=MIN_LENGTH),
    )
    locale = SelectField(_l("Language for e-mails and pages"))
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is processed as described there."),
        validators=[DataRequired(_l("Please agree to the privacy notice."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Stay logged in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email()])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)],
        description=_l("At least %(n)d characters.", n=MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords do not match."))],
    )


class AcceptInviteForm(NewPasswordForm):
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is processed as described there."),
        validators=[DataRequired(_l("Please agree to the privacy notice."))],
    )


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language for e-mails and pages"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("New e-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    """The switcher in the header: one button per language."""


class LogoutEverywhereForm(FlaskForm):
    confirm = BooleanField(
        _l("Log me out on every device, this one too."),
        validators=[DataRequired(_l("Please confirm that you want to log out on every device."))],
    )
