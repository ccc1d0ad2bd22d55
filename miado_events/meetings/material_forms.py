"""Forms of the minutes and materials pages (staff) and the archive search."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models.materials import ItemVisibility
from .minutes import MAX_MINUTES


def _visibility_choices():
    return [(value, label) for value, label in ItemVisibility.labels().items()]


class MinutesForm(FlaskForm):
    body = TextAreaField(
        _l("Text of the minutes"), validators=[DataRequired(), Length(max=MAX_MINUTES)],
        render_kw={"rows": 14, "dir": "auto"},
        description=_l("Markdown: # Heading, **bold**, *italic*, - list item, [link text](https://…). "
                       "HTML is shown as text."))
    visibility = SelectField(_l("Who may read the minutes"), choices=_visibility_choices,
                             default=ItemVisibility.PARTICIPANTS.value)


class MaterialForm(FlaskForm):
    # Its description (the allowed kinds and the size limit) is set by the view.
    file = FileField(_l("File"), validators=[FileRequired(_l("Please choose a file."))])
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)],
                        description=_l("Shown instead of the file name, e.g. “Slides Masterplan Integration”."))
    visibility = SelectField(_l("Who may download it"), choices=_visibility_choices,
                             default=ItemVisibility.PARTICIPANTS.value)


class VisibilityForm(FlaskForm):
    visibility = SelectField(_l("Who may download it"), choices=_visibility_choices)


class ConfirmForm(FlaskForm):
    """A button that changes something (publish, delete): CSRF only."""
