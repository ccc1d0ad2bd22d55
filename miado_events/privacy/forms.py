from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(
        _l("I understand that my account is deleted for good and my tickets stop working."),
        validators=[DataRequired(_l("Please confirm that you want to delete your account."))],
    )


class ConsentForm(FlaskForm):
    agree = BooleanField(
        _l("I have read the new privacy notice and agree that my data is processed as described there."),
        validators=[DataRequired(_l("Please agree to the privacy notice, or log out."))],
    )
