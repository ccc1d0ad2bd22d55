from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, FieldList, Form,
                     FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField,
                     TimeField, URLField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..inputs import parse_id
from ..models.events import WaitlistMode
from ..models.orgs import DISTRICTS, LANGUAGE_CODES
from ..orgs.forms import CheckboxesField
from ..orgs.labels import language_name
from ..timeutil import LOCAL_TZ, to_local
from .labels import KIND_LABELS, VISIBILITY_LABELS
from .services import EventData, RecurrenceData, SessionData, VenueData


def _aware(value):
    return value.replace(tzinfo=LOCAL_TZ) if value is not None else None


def _local_naive(value):
    return to_local(value).replace(tzinfo=None) if value is not None else None


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind of event"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    languages = CheckboxesField(_l("Language(s) of instruction"), validate_choice=True)
    audience_note = StringField(_l("Who is it for?"), validators=[Optional(), Length(max=300)])
    visibility = SelectField(_l("Who may register"))
    capacity = IntegerField(_l("Capacity (seats)"), validators=[DataRequired(), NumberRange(1, 10000)])
    org_seat_limit = IntegerField(
        _l("Seat limit per organisation"), validators=[Optional(), NumberRange(1, 10000)],
        description=_l("Leave empty for no limit. Stops one large organisation from filling the event."))
    registration_opens_at = DateTimeLocalField(_l("Registration opens"), validators=[Optional()],
                                               description=_l("Leave empty to open at once."))
    registration_closes_at = DateTimeLocalField(_l("Registration closes"), validators=[Optional()],
                                                description=_l("Leave empty to close when the event starts."))
    cancellation_deadline_hours = IntegerField(
        _l("Members can cancel until (hours before the start)"), default=24,
        validators=[Optional(), NumberRange(0, 24 * 60)],
        description=_l("Later, until the start, a cancellation is still possible and counts as late."))
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    waitlist_mode = SelectField(_l("When a seat becomes free"), default=WaitlistMode.AUTOMATIC.value)
    offer_hours = IntegerField(
        _l("An offered seat stays open for (hours)"), validators=[Optional(), NumberRange(1, 14 * 24)])
    certificate_threshold = IntegerField(
        _l("Attendance needed for a certificate (percent)"), validators=[Optional(), NumberRange(1, 100)],
        description=_l("Training series only, e.g. 75."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(KIND_LABELS.items())
        self.visibility.choices = list(VISIBILITY_LABELS.items())
        self.waitlist_mode.choices = list(WaitlistMode.labels().items())
        self.offer_hours.description = _l("Offer mode only. Leave empty for the usual %(hours)d hours.",
                                          hours=current_app.config.get("WAITLIST_OFFER_HOURS", 24))
        self.languages.choices = sorted(((c, language_name(c)) for c in LANGUAGE_CODES),
                                        key=lambda pair: pair[1].casefold())

    def fill_from(self, event) -> None:
        for name in ("kind", "title", "description", "languages", "audience_note", "visibility",
                     "capacity", "org_seat_limit", "cancellation_deadline_hours",
                     "waitlist_enabled", "waitlist_mode", "offer_hours", "certificate_threshold"):
            getattr(self, name).data = getattr(event, name)
        self.registration_opens_at.data = _local_naive(event.registration_opens_at)
        self.registration_closes_at.data = _local_naive(event.registration_closes_at)

    def to_data(self) -> EventData:
        return EventData(
            kind=self.kind.data, title=self.title.data or "", capacity=self.capacity.data,
            description=(self.description.data or "").strip(), languages=self.languages.data or [],
            audience_note=(self.audience_note.data or "").strip(), visibility=self.visibility.data,
            org_seat_limit=self.org_seat_limit.data,
            registration_opens_at=_aware(self.registration_opens_at.data),
            registration_closes_at=_aware(self.registration_closes_at.data),
            cancellation_deadline_hours=self.cancellation_deadline_hours.data or 0,
            waitlist_enabled=bool(self.waitlist_enabled.data),
            waitlist_mode=self.waitlist_mode.data or WaitlistMode.AUTOMATIC.value,
            offer_hours=self.offer_hours.data,
            certificate_threshold=self.certificate_threshold.data)


class _PlaceMixin:
    def _fill_venues(self, venues):
        self.venue_id.choices = [("", _l("No venue (online only)"))] + [(str(v.id), str(v)) for v in venues]

    def _venue(self):
        return parse_id(self.venue_id.data)


class SessionForm(FlaskForm, _PlaceMixin):
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Start time"), validators=[DataRequired()])
    end = TimeField(_l("End time"), validators=[DataRequired()])
    venue_id = SelectField(_l("Venue"), validate_choice=True)
    online_url = URLField(_l("Online link"), validators=[Optional(), Length(max=500)])
    following = BooleanField(_l("Also change all later meetings of this series"))

    def __init__(self, *args, venues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._fill_venues(venues)

    def fill_from(self, session) -> None:
        local_start, local_end = to_local(session.starts_at), to_local(session.ends_at)
        self.day.data, self.start.data, self.end.data = local_start.date(), local_start.time(), local_end.time()
        self.venue_id.data = str(session.venue_id) if session.venue_id else ""
        self.online_url.data = session.online_url or ""

    def to_data(self) -> SessionData:
        return SessionData(day=self.day.data, start=self.start.data, end=self.end.data,
                           venue_id=self._venue(), online_url=self.online_url.data or "")


class RecurrenceForm(FlaskForm, _PlaceMixin):
    frequency = SelectField(_l("How often"), choices=[
        ("monthly_nth_weekday", _l("Monthly on a weekday (e.g. every second Tuesday)")),
        ("weekly", _l("Every week")), ("biweekly", _l("Every two weeks")),
        ("monthly_day", _l("Monthly on the same date"))])
    nth = SelectField(_l("Which week of the month"), coerce=int, choices=[
        (1, _l("first")), (2, _l("second")), (3, _l("third")), (4, _l("fourth")), (-1, _l("last"))])
    weekday = SelectField(_l("Weekday"), coerce=int, choices=[
        (0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
        (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))])
    first_day = DateField(_l("From"), validators=[DataRequired()])
    start = TimeField(_l("Start time"), validators=[DataRequired()])
    end = TimeField(_l("End time"), validators=[DataRequired()])
    count = IntegerField(_l("Number of meetings"), validators=[Optional(), NumberRange(1, 60)])
    until = DateField(_l("or until"), validators=[Optional()])
    venue_id = SelectField(_l("Venue"), validate_choice=True)
    online_url = URLField(_l("Online link"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, venues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._fill_venues(venues)

    def to_data(self) -> RecurrenceData:
        return RecurrenceData(frequency=self.frequency.data, first_day=self.first_day.data,
                              start=self.start.data, end=self.end.data, weekday=self.weekday.data,
                              nth=self.nth.data, count=self.count.data, until=self.until.data,
                              venue_id=self._venue(), online_url=self.online_url.data or "")


class VenueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    district = SelectField(_l("District"))
    room = StringField(_l("Room"), validators=[Optional(), Length(max=100)])
    accessibility_notes = TextAreaField(
        _l("Accessibility"), validators=[Optional(), Length(max=2000)],
        description=_l("Step-free access, lift, accessible toilet, hearing loop …"))
    directions = TextAreaField(_l("Directions"), validators=[Optional(), Length(max=2000)],
                               description=_l("Public transport, entrance, parking."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = [("", _l("Not in Dortmund / unknown"))] + [(d, d) for d in DISTRICTS]

    def to_data(self) -> VenueData:
        return VenueData(name=self.name.data or "", address=self.address.data or "",
                         district=self.district.data or "", room=self.room.data or "",
                         accessibility_notes=self.accessibility_notes.data or "",
                         directions=self.directions.data or "")


class RegisterForm(FlaskForm):
    """Register oneself; the MSO the seat counts against when one has several."""

    organisation_id = SelectField(_l("Registering for"), validate_choice=False)


class RegisterMemberForm(FlaskForm):
    member = SelectField(_l("Member of your organisation"), validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button that posts with a CSRF token."""


class BroadcastForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=10000)])
    audience = CheckboxesField(_l("Send to"), validate_choice=True, default=["confirmed"],
                               choices=[("confirmed", _l("People with a confirmed seat")),
                                        ("waitlisted", _l("People on the waiting list"))])


# --- registration questions (staff editor) ------------------------------------------------------

def _translation_fields(cls, label, *, german_required: bool, max_length: int = 300):
    """``text_<language>`` on ``cls``: German first, then one optional field per
    other language (the template labels each with its language's name)."""
    from ..models.translated import TEXT_LANGUAGES

    for code in TEXT_LANGUAGES:
        # The length is checked by the service (question_editor.QuestionData), whose
        # message also serves the rows of a FieldList (the form's error summary
        # lists only top-level fields); the browser keeps to it anyway.
        validators = [DataRequired()] if code == "de" and german_required else [Optional()]
        setattr(cls, f"text_{code}", StringField(label, validators=validators,
                                                 render_kw={"maxlength": max_length}))
    return cls


class _ChoiceRow(Form):
    key = HiddenField()


# A choice row may stay empty: the editor offers spare rows.
_translation_fields(_ChoiceRow, _l("Answer"), german_required=False)


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"))
    required = BooleanField(_l("An answer is required"))
    sensitive = BooleanField(
        _l("Sensitive (health, access needs): only staff see the answers"))
    on_sign_in_sheet = BooleanField(
        _l("Show the answers on the sign-in sheet"),
        description=_l("Not possible for sensitive questions: everybody at the door can read the sheet."))
    choices = FieldList(FormField(_ChoiceRow), min_entries=0)

    def __init__(self, *args, spare_choices: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models.questions import QuestionKind

        self.kind.choices = list(QuestionKind.labels().items())
        if not self.is_submitted():
            for _ in range(spare_choices):
                self.choices.append_entry()

    def fill_from(self, question) -> None:
        from ..models.translated import TEXT_LANGUAGES

        self.kind.data = question.kind
        self.required.data, self.sensitive.data = question.required, question.sensitive
        self.on_sign_in_sheet.data = question.on_sign_in_sheet
        for code in TEXT_LANGUAGES:
            getattr(self, f"text_{code}").data = question.text.get(code, "")
        while self.choices.entries:
            self.choices.pop_entry()
        for choice in list(question.choices or []) + [None, None, None]:
            entry = self.choices.append_entry()
            entry.form.key.data = choice["key"] if choice else ""
            for code in TEXT_LANGUAGES:
                getattr(entry.form, f"text_{code}").data = (choice["text"].get(code, "") if choice else "")

    def to_data(self):
        from ..models.translated import TEXT_LANGUAGES
        from .question_editor import QuestionData

        def texts(form) -> dict:
            return {code: (getattr(form, f"text_{code}").data or "") for code in TEXT_LANGUAGES}

        return QuestionData(
            kind=self.kind.data, text=texts(self), required=bool(self.required.data),
            sensitive=bool(self.sensitive.data), on_sign_in_sheet=bool(self.on_sign_in_sheet.data),
            choices=[{"key": entry.form.key.data or "", "text": texts(entry.form)} for entry in self.choices])


_translation_fields(QuestionForm, _l("Question"), german_required=True)


class DeleteQuestionForm(FlaskForm):
    with_answers = BooleanField(_l("Yes, delete the question together with all its answers"))
