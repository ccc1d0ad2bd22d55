from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..inputs import coerce_id


class CheckInForm(FlaskForm):
    """Manual check-in: a registration from the search list, or a typed code."""

    registration_id = HiddenField()
    code = StringField(_l("Ticket code"), validators=[Optional(), Length(max=200)])
    override = BooleanField(_l("Check in outside the check-in time (staff only)"))


class UndoForm(FlaskForm):
    registration_id = HiddenField(validators=[DataRequired()])


class WalkInForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("The person gets the ticket and a link to their account by e-mail."))
    organisation_id = SelectField(_l("Organisation"), validate_choice=False, validators=[Optional()],
                                  coerce=coerce_id)


class SelfCheckInForm(FlaskForm):
    pass


class ReviewForm(FlaskForm):
    """Staff decide on a late offline check-in: ``accept`` or ``reject``."""

    decision = HiddenField(validators=[DataRequired()])


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class DoorStaffForm(FlaskForm):
    user_id = SelectField(_l("Door staff"), validate_choice=False, validators=[DataRequired()])
