"""Forms of the agenda pages: an item (staff), a proposal (members), the
proposal deadline, and the staff decisions on a proposal."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..inputs import coerce_id
from ..models.meetings import MAX_ITEM_MINUTES, AgendaKind
from ..models.orgs import LANGUAGE_CODES
from ..orgs.forms import CheckboxesField
from ..orgs.labels import language_name
from ..timeutil import LOCAL_TZ, to_local
from .agenda import ItemData
from .proposals import ProposalData


def _kind_choices():
    return list(AgendaKind.labels().items())


class ItemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of item"), validators=[DataRequired()])
    minutes = IntegerField(_l("Planned duration (minutes)"),
                           validators=[DataRequired(), NumberRange(1, MAX_ITEM_MINUTES)])
    presenter_name = StringField(_l("Presented by (person)"), validators=[Optional(), Length(max=200)])
    presenter_org_id = SelectField(_l("Presented by (organisation)"), coerce=coerce_id,
                                   validators=[Optional()])
    languages = CheckboxesField(_l("Language(s)"), validate_choice=True)
    description = TextAreaField(_l("Short description"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _kind_choices()
        self.presenter_org_id.choices = [("", _l("No organisation"))] + [
            (o.id, o.name) for o in organisations]
        self.languages.choices = sorted(((c, language_name(c)) for c in LANGUAGE_CODES),
                                        key=lambda pair: pair[1].casefold())

    def fill_from(self, item) -> None:
        for name in ("title", "kind", "minutes", "presenter_name", "presenter_org_id", "languages",
                     "description"):
            getattr(self, name).data = getattr(item, name)

    def to_data(self) -> ItemData:
        return ItemData(title=self.title.data or "", kind=self.kind.data, minutes=self.minutes.data,
                        presenter_name=self.presenter_name.data or "",
                        presenter_org_id=self.presenter_org_id.data,
                        languages=self.languages.data or [], description=self.description.data or "")


class ProposalForm(FlaskForm):
    organisation_id = SelectField(_l("For the organisation"), coerce=coerce_id,
                                  validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of item"), validators=[DataRequired()])
    minutes = IntegerField(_l("Planned duration (minutes)"),
                           validators=[DataRequired(), NumberRange(1, MAX_ITEM_MINUTES)])
    presenter_name = StringField(_l("Who presents?"), validators=[Optional(), Length(max=200)])
    why = TextAreaField(_l("Why should it be on the agenda?"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [(o.id, o.name) for o in organisations]
        self.kind.choices = _kind_choices()

    def to_data(self) -> ProposalData:
        return ProposalData(title=self.title.data or "", kind=self.kind.data, minutes=self.minutes.data,
                            presenter_name=self.presenter_name.data or "", why=self.why.data or "")


class DeadlineForm(FlaskForm):
    proposals_until = DateTimeLocalField(
        _l("Proposals accepted until"), validators=[Optional()],
        description=_l("Leave empty to take no proposals."))

    def fill_from(self, agenda) -> None:
        until = agenda.proposals_until if agenda is not None else None
        self.proposals_until.data = to_local(until).replace(tzinfo=None) if until else None

    def until(self):
        value = self.proposals_until.data
        return value.replace(tzinfo=LOCAL_TZ) if value is not None else None


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the proposer receives it)"),
                           validators=[DataRequired(), Length(max=500)])


class MergeForm(FlaskForm):
    item_id = SelectField(_l("Merge into the item"), coerce=coerce_id, validators=[DataRequired()])

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.item_id.choices = [(i.id, f"{i.position}. {i.title}") for i in items]
