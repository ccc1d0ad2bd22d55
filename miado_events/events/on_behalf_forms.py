"""The form staff and representatives fill in to register someone else
(events.on_behalf): a name is enough, e-mail and phone are optional."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TelField
from wtforms.validators import Email, Length, Optional

from ..accounts.people import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, PHONE_MAX_LENGTH
from ..i18n import ui_language
from .on_behalf import PersonEntry

NO_ORGANISATION = ""


class PersonEntryForm(FlaskForm):
    """``slot_id`` and ``organisation_id`` get their choices from the view."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=NAME_MAX_LENGTH)],
                       description=_l("First and last name, as on the list of participants. "
                                      "Not needed when the e-mail address belongs to an account."))
    email = EmailField(_l("E-mail address (optional)"),
                       validators=[Optional(), Email(), Length(max=EMAIL_MAX_LENGTH)],
                       description=_l("The confirmation and the ticket are sent there. "
                                      "Without an address, print the ticket."))
    phone = TelField(_l("Phone number (optional)"), validators=[Optional(), Length(max=PHONE_MAX_LENGTH)])
    locale = SelectField(_l("Language for e-mails"), validate_choice=False)
    slot_id = SelectField(_l("Session"), validate_choice=False)
    organisation_id = SelectField(_l("Organisation"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = list(current_app.config["LANGUAGES"].items())
        if not self.locale.data or self.locale.data not in current_app.config["LANGUAGES"]:
            self.locale.data = ui_language()

    def entry(self) -> PersonEntry:
        return PersonEntry(name=self.name.data or "", email=(self.email.data or "").strip() or None,
                           phone=self.phone.data or None, locale=self.locale.data)


def slot_choices(slots) -> list[tuple[str, str]]:
    """(id, label) per slot, in date order: the session's date and time, or
    "Whole series"."""
    from flask_babel import format_datetime
    from flask_babel import gettext as _

    ordered = sorted(slots, key=lambda s: (s.starts_at is None, s.starts_at or 0, s.id))
    return [(str(s.id), _("Whole series") if s.session is None else format_datetime(s.session.starts_at, "short"))
            for s in ordered]
