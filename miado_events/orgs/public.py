"""What the public may see of an organisation: name, legal form and the
fields it consented to publish. Directory page, PDF and CSV all use this."""
from __future__ import annotations

from .labels import field_label, language_name, legal_form_label

# Order in which published fields appear on the page, in the PDF and the CSV.
PUBLIC_FIELD_ORDER = (
    "description", "founding_year", "districts", "regions", "languages",
    "fields_of_work", "address", "email", "phone", "website",
)


def public_profile(org) -> dict:
    """A dict of the published values only. Lists stay lists; codes become
    labels in the current language. Unpublished or empty fields are absent."""
    profile = {
        "id": org.id,
        "name": org.name,
        "short_name": org.short_name or "",
        "legal_form": legal_form_label(org.legal_form),
    }
    values = {
        "description": org.description,
        "founding_year": org.founding_year,
        "districts": org.districts,
        "regions": org.regions,
        "languages": [language_name(c) for c in org.languages],
        "fields_of_work": [field_label(c) for c in org.fields_of_work],
        "address": org.address,
        "email": org.email,
        "phone": org.phone,
        "website": org.website,
    }
    for field in PUBLIC_FIELD_ORDER:
        value = values[field]
        if org.is_published(field) and value not in (None, "", []):
            profile[field] = value
    return profile
