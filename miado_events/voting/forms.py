from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..events.forms import _aware, _local_naive
from ..inputs import coerce_id
from ..models.orgs import LANGUAGE_CODES
from ..orgs.forms import CheckboxesField
from ..orgs.labels import language_name
from .labels import FORMAT_LABELS, PHASE_LABELS
from .services import COMMENT_MAX, RoundData, TopicData


def _language_choices():
    return sorted(((c, language_name(c)) for c in LANGUAGE_CODES), key=lambda pair: pair[1].casefold())


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    proposals_open_at = DateTimeLocalField(_l("Proposals open"), validators=[DataRequired()])
    moderation_at = DateTimeLocalField(_l("Proposals close (moderation begins)"), validators=[DataRequired()])
    voting_opens_at = DateTimeLocalField(_l("Voting opens"), validators=[DataRequired()])
    voting_closes_at = DateTimeLocalField(_l("Voting closes"), validators=[DataRequired()])
    results_at = DateTimeLocalField(_l("Results published"), validators=[Optional()],
                                    description=_l("Leave empty to publish by hand."))
    points_budget = IntegerField(_l("Points per organisation"), default=5,
                                 validators=[DataRequired(), NumberRange(1, 100)])
    max_per_topic = IntegerField(_l("Maximum points on one topic"), default=3,
                                 validators=[DataRequired(), NumberRange(1, 100)])
    live_totals = BooleanField(_l("Show the totals while voting is open"))
    results_public = BooleanField(_l("Publish the results for everyone (otherwise for members only)"),
                                  default=True)
    restrict = BooleanField(_l("Only some organisations take part"))
    organisations = CheckboxesField(_l("Organisations taking part"), validate_choice=False, coerce=coerce_id)

    def fill_from(self, round_) -> None:
        for name in ("title", "description", "points_budget", "max_per_topic", "live_totals", "results_public"):
            getattr(self, name).data = getattr(round_, name)
        for name in ("proposals_open_at", "moderation_at", "voting_opens_at", "voting_closes_at", "results_at"):
            getattr(self, name).data = _local_naive(getattr(round_, name))
        self.restrict.data = not round_.all_organisations
        self.organisations.data = [o.id for o in round_.allowed_organisations]

    def to_data(self) -> RoundData:
        ids = None
        if self.restrict.data:
            ids = [v for v in (self.organisations.data or []) if v is not None]
        return RoundData(
            title=self.title.data or "", description=self.description.data,
            proposals_open_at=_aware(self.proposals_open_at.data), moderation_at=_aware(self.moderation_at.data),
            voting_opens_at=_aware(self.voting_opens_at.data), voting_closes_at=_aware(self.voting_closes_at.data),
            results_at=_aware(self.results_at.data), points_budget=self.points_budget.data or 0,
            max_per_topic=self.max_per_topic.data or 0, live_totals=bool(self.live_totals.data),
            results_public=bool(self.results_public.data), organisation_ids=ids)


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Phase"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase.choices = list(PHASE_LABELS.items())


class TopicForm(FlaskForm):
    organisation_id = SelectField(_l("For which organisation?"), validate_choice=True)
    title = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What should the seminar be about?"),
                                validators=[DataRequired(), Length(max=3000)])
    why = TextAreaField(_l("Why does it matter to your organisation?"), validators=[Optional(), Length(max=2000)])
    languages = CheckboxesField(_l("Preferred language(s)"), validate_choice=True)
    format = SelectField(_l("Format"), validate_choice=True)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [(str(o.id), o.name) for o in organisations]
        self.languages.choices = _language_choices()
        self.format.choices = list(FORMAT_LABELS.items())

    def fill_from(self, topic) -> None:
        for name in ("title", "description", "why", "languages", "format"):
            getattr(self, name).data = getattr(topic, name)

    def to_data(self) -> TopicData:
        return TopicData(title=self.title.data or "", description=self.description.data or "",
                         why=self.why.data, languages=self.languages.data or [],
                         format=self.format.data)


class ModerateEditForm(TopicForm):
    note = StringField(_l("Note on the change (shown with the topic)"),
                       validators=[DataRequired(), Length(max=500)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the proposer receives it)"), validators=[DataRequired(), Length(max=500)])


class MergeForm(FlaskForm):
    into_id = SelectField(_l("Merge into"), validate_choice=False, validators=[DataRequired()])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=COMMENT_MAX)],
                         description=_l("Short and friendly, at most 500 characters. The office moderates comments."))


class BallotForm(FlaskForm):
    """The points come as ``points-<topic_id>`` fields (one per topic)."""

    version = HiddenField()


class ConfirmForm(FlaskForm):
    pass
