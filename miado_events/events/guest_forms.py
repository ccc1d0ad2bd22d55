"""The guest registration form (no account): who registers, for which MSO."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..accounts.people import NAME_MAX_LENGTH, PHONE_MAX_LENGTH

NO_ORGANISATION = ""


class GuestRegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)],
                       description=_l("As it should appear on the list of participants."))
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("Your ticket and a personal link to manage the registration "
                                      "are sent there."))
    phone = TelField(_l("Phone number (optional)"), validators=[Optional(), Length(max=PHONE_MAX_LENGTH)],
                     description=_l("Only if the office may call you about this event."))
    organisation_id = SelectField(_l("Organisation you come for"), validate_choice=False)
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is processed as described there."),
        validators=[DataRequired(_l("Please agree to the privacy notice."))])

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [(NO_ORGANISATION, _l("No organisation / other"))] + [
            (str(o.id), o.name) for o in organisations]
