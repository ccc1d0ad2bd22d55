from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..config import DEFAULT_LOCALE, LANGUAGES
from ..inputs import coerce_id
from ..models.orgs import DISTRICTS, FIELDS_OF_WORK, TagKind
from ..orgs.forms import CheckboxesField
from ..orgs.labels import FIELD_LABELS, language_name
from .audience import AudienceFilter, tag_values_in_use
from .services import MAX_BODY, MAX_SUBJECT, Draft

TRANSLATIONS = tuple(code for code in LANGUAGES if code != DEFAULT_LOCALE)


class ComposeForm(FlaskForm):
    subject = StringField(_l("Subject (German)"), validators=[DataRequired(), Length(max=MAX_SUBJECT)])
    body = TextAreaField(_l("Message (German)"), validators=[DataRequired(), Length(max=MAX_BODY)],
                         description=_l("Plain text. The greeting and a link to stop the news are added."))
    district = CheckboxesField(_l("Districts"), validate_choice=True)
    region = CheckboxesField(_l("Regions of origin"), validate_choice=True)
    language = CheckboxesField(_l("Languages"), validate_choice=True)
    field_of_work = CheckboxesField(_l("Fields of work"), validate_choice=True)
    event = SelectField(_l("Event to attach (link and calendar file)"), coerce=coerce_id,
                        validators=[Optional()])
    draft_key = HiddenField()

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = [(d, d) for d in DISTRICTS]
        self.region.choices = [(r, r) for r in tag_values_in_use(TagKind.REGION.value)]
        self.language.choices = sorted(((c, language_name(c)) for c in tag_values_in_use(TagKind.LANGUAGE.value)),
                                       key=lambda pair: pair[1].casefold())
        self.field_of_work.choices = [(f, FIELD_LABELS[f]) for f in FIELDS_OF_WORK]
        self.event.choices = [("", _l("No event"))] + [(e.id, e.title) for e in events]
        if not self.draft_key.data:
            self.draft_key.data = secrets.token_urlsafe(24)

    def translation_fields(self):
        """(language code, its name, subject field, body field) per translation."""
        return [(code, LANGUAGES[code], self[f"subject_{code}"], self[f"body_{code}"]) for code in TRANSLATIONS]

    def filter_fields(self):
        return [self.district, self.region, self.language, self.field_of_work]

    def to_draft(self, event) -> Draft:
        translations = {code: {"subject": self[f"subject_{code}"].data or "", "body": self[f"body_{code}"].data or ""}
                        for code in TRANSLATIONS}
        filters = AudienceFilter.of({
            TagKind.DISTRICT.value: self.district.data, TagKind.REGION.value: self.region.data,
            TagKind.LANGUAGE.value: self.language.data, TagKind.FIELD.value: self.field_of_work.data})
        return Draft(subject=self.subject.data or "", body=self.body.data or "", translations=translations,
                     filters=filters, event=event, draft_key=self.draft_key.data or None)


for _code in TRANSLATIONS:
    setattr(ComposeForm, f"subject_{_code}", StringField(
        _l("Subject (%(language)s)", language=LANGUAGES[_code]), validators=[Optional(), Length(max=MAX_SUBJECT)]))
    setattr(ComposeForm, f"body_{_code}", TextAreaField(
        _l("Message (%(language)s)", language=LANGUAGES[_code]), validators=[Optional(), Length(max=MAX_BODY)]))


class StopNewsForm(FlaskForm):
    address = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


class OfficeNewsForm(FlaskForm):
    wanted = BooleanField(_l("Send me the office's news to MSOs (as a representative of an MSO)"))
