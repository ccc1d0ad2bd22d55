from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, IntegerField, PasswordField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, URLField)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import language_choices
from ..accounts.passwords import MIN_LENGTH
from ..models.orgs import DISTRICTS, FIELDS_OF_WORK, LANGUAGE_CODES, PUBLISHABLE_FIELDS
from .labels import (FIELD_LABELS, LEGAL_FORM_LABELS, PUBLISHABLE_FIELD_LABELS, language_name)
from .services import OrgProfile


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (rendered as a fieldset by the form macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def split_regions(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


class OrgProfileForm(FlaskForm):
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=50)])
    legal_form = SelectField(_l("Legal form"), validators=[DataRequired()])
    founding_year = IntegerField(_l("Founding year"), validators=[Optional(), NumberRange(1900, 2100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=3000)],
                                description=_l("What does your organisation do? Who is it for?"))
    districts = CheckboxesField(_l("Districts where you are active"), validate_choice=True)
    regions = StringField(
        _l("Regions of origin / communities"), validators=[Optional(), Length(max=600)],
        description=_l("Separate several with commas, e.g. Kurdistan, Syria, West Africa."))
    languages = CheckboxesField(_l("Languages spoken"), validate_choice=True)
    fields_of_work = CheckboxesField(_l("Fields of work"), validate_choice=True)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)],
                          description=_l("Street, house number, postcode, town"))
    email = EmailField(_l("Public e-mail address"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Public phone number"), validators=[Optional(), Length(max=50)])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=300)])
    internal_contact = TextAreaField(
        _l("Contact person for the office (not published)"), validators=[Optional(), Length(max=1000)],
        description=_l("Name, phone and e-mail of the person the office may contact. Only staff see this."))
    published_fields = CheckboxesField(
        _l("These details may be published in the directory and the downloadable list"),
        validate_choice=True,
        description=_l("Name and legal form are always shown once your organisation is listed."))
    members_see_member_list = BooleanField(_l("Members may see the list of members"))
    news_to_contact_email = BooleanField(
        _l("The office may also send its news to MSOs to this address"),
        description=_l("Representatives receive the office's news anyway. Each e-mail has a link to stop them."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.legal_form.choices = [("", _l("Please choose"))] + list(LEGAL_FORM_LABELS.items())
        self.districts.choices = [(d, d) for d in DISTRICTS]
        self.languages.choices = sorted(((c, language_name(c)) for c in LANGUAGE_CODES),
                                        key=lambda pair: pair[1].casefold())
        self.fields_of_work.choices = [(f, FIELD_LABELS[f]) for f in FIELDS_OF_WORK]
        self.published_fields.choices = [(f, PUBLISHABLE_FIELD_LABELS[f]) for f in PUBLISHABLE_FIELDS]

    def fill_from(self, org) -> None:
        profile = OrgProfile.of(org)
        for name in ("name", "short_name", "legal_form", "founding_year", "description",
                     "districts", "languages", "fields_of_work", "address", "email", "phone",
                     "website", "internal_contact", "published_fields", "members_see_member_list",
                     "news_to_contact_email"):
            getattr(self, name).data = getattr(profile, name)
        if org.requested_name:
            self.name.data = org.requested_name
        self.regions.data = ", ".join(profile.regions)

    def to_profile(self) -> OrgProfile:
        return OrgProfile(
            name=self.name.data or "", short_name=self.short_name.data or "",
            legal_form=self.legal_form.data or "", founding_year=self.founding_year.data,
            description=self.description.data or "", address=self.address.data or "",
            email=self.email.data or "", phone=self.phone.data or "",
            website=self.website.data or "", internal_contact=self.internal_contact.data or "",
            districts=self.districts.data or [], regions=split_regions(self.regions.data),
            languages=self.languages.data or [], fields_of_work=self.fields_of_work.data or [],
            published_fields=self.published_fields.data or [],
            members_see_member_list=bool(self.members_see_member_list.data),
            news_to_contact_email=bool(self.news_to_contact_email.data),
        )


class ApplicationForm(OrgProfileForm):
    """The public application: the profile, plus an account for applicants
    who are not logged in (the view removes these fields otherwise)."""

    applicant_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    applicant_email = EmailField(_l("Your e-mail address"),
                                 validators=[DataRequired(), Email(), Length(max=254)])
    applicant_password = PasswordField(
        _l("Choose a password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)],
        description=_l("At least %(n)d characters.", n=MIN_LENGTH))
    applicant_locale = SelectField(_l("Language for e-mails and pages"))
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is processed as described there."),
        validators=[DataRequired(_l("Please agree to the privacy notice."))])
    not_a_duplicate = BooleanField(_l("Yes, this is a different organisation."))

    ACCOUNT_FIELDS = ("applicant_name", "applicant_email", "applicant_password",
                      "applicant_locale", "privacy_consent")

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.applicant_locale.choices = language_choices()
        if signed_in:
            for name in self.ACCOUNT_FIELDS:
                delattr(self, name)


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[
        ("approve", _l("Approve and list")),
        ("needs_changes", _l("Ask for changes")),
        ("reject", _l("Reject")),
    ])
    message = TextAreaField(
        _l("Message to the applicant"), validators=[Optional(), Length(max=3000)],
        description=_l("Required when you ask for changes or reject. The applicant receives it by e-mail."))


class NameDecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[
        ("approve", _l("Accept the new name")), ("reject", _l("Keep the current name"))])
    message = TextAreaField(_l("Message to the representatives"), validators=[Optional(), Length(max=1000)])


class StatusForm(FlaskForm):
    active = HiddenField()
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=1000)])


class InviteMemberForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


class ShareLinkForm(FlaskForm):
    days = IntegerField(_l("Valid for (days)"), default=14, validators=[DataRequired(), NumberRange(1, 90)])


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""
