"""Human labels for the registry's codes, in the current language."""
from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..models.orgs import LegalForm, OrgAction, OrgStatus

LEGAL_FORM_LABELS = LegalForm.labels()

FIELD_LABELS = {
    "education": _l("Education"),
    "culture": _l("Culture"),
    "youth": _l("Youth"),
    "women": _l("Women"),
    "seniors": _l("Senior citizens"),
    "religion": _l("Religion"),
    "sport": _l("Sport"),
    "social_counselling": _l("Social counselling"),
    "integration": _l("Integration work"),
    "language_courses": _l("Language courses"),
    "health": _l("Health"),
    "work": _l("Work and training"),
    "refugees": _l("Refugee support"),
    "parents": _l("Parents and families"),
    "anti_discrimination": _l("Anti-discrimination"),
    "other": _l("Other"),
}

STATUS_LABELS = OrgStatus.labels()

PUBLISHABLE_FIELD_LABELS = {
    "description": _l("Description"),
    "founding_year": _l("Founding year"),
    "address": _l("Address"),
    "email": _l("E-mail address"),
    "phone": _l("Phone"),
    "website": _l("Website"),
    "districts": _l("Districts"),
    "regions": _l("Regions of origin / communities"),
    "languages": _l("Languages"),
    "fields_of_work": _l("Fields of work"),
}


def language_name(code: str) -> str:
    """The name of an ISO 639 language in the current UI language."""
    try:
        locale = Locale.parse(str(get_locale()))
        return locale.languages.get(code) or code
    except Exception:  # unknown locale data: show the code
        return code


def legal_form_label(code: str) -> str:
    return str(LegalForm.label_of(code))


def field_label(code: str) -> str:
    return str(FIELD_LABELS.get(code, code))


DECISION_LABELS = OrgAction.labels()

PROFILE_FIELD_LABELS = {
    "name": _l("Name"),
    "short_name": _l("Short name"),
    "legal_form": _l("Legal form"),
    "internal_contact": _l("Contact person for the office (not published)"),
    "published_fields": _l("May be published"),
    "members_see_member_list": _l("Members may see the list of members"),
    "news_to_contact_email": _l("The office may also send its news to MSOs to this address"),
    **PUBLISHABLE_FIELD_LABELS,
}


def template_helpers() -> dict:
    return {
        "legal_form_label": legal_form_label,
        "field_label": field_label,
        "language_name": language_name,
        "decision_label": OrgAction.label_of,
        "profile_field_label": lambda name: PROFILE_FIELD_LABELS.get(name, name),
    }
