"""The printable ticket: event, session(s), name, MSO, QR code and code."""
from __future__ import annotations

import io

from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from ..i18n import person_language, with_formats
from ..models.events import Registration
from ..models.translated import localized
from . import tickets


def ticket_pdf(registration: Registration) -> bytes:
    """The ticket in its person's language (``User.locale``), whoever prints
    it: staff print a ticket for someone registered by phone in that
    person's language; the event's title is their translation where one exists."""
    language = person_language(registration.user)
    with force_locale(with_formats(language)):
        return _ticket_pdf(registration, language)


def _ticket_pdf(registration: Registration, language: str) -> bytes:
    # fpdf2 (with fontTools, ~25 MB) is loaded by the first PDF, not by every
    # web worker at start-up: most workers never print one.
    from fpdf.enums import XPos, YPos

    from ..pdf import new_document

    event = registration.event
    title = localized(event, "title", language).text
    pdf = new_document(_("Ticket: %(title)s", title=title), margin=20)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, _("MIA-DO Events – ticket"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 12)
    for session in registration.slot.sessions:
        where = str(session.venue) if session.venue else (session.online_url or "")
        line = "{}, {}–{}".format(format_date(session.starts_at, "full"),
                                  format_time(session.starts_at, "short"), format_time(session.ends_at, "short"))
        pdf.multi_cell(0, 6.5, line + (" · " + where if where else ""), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, registration.user.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if registration.organisation is not None:
        pdf.set_font("DejaVu", "", 12)
        pdf.multi_cell(0, 7, registration.organisation.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 6
    pdf.image(io.BytesIO(tickets.ticket_qr_png(registration)),
              x=20, y=y, w=70, h=70)
    pdf.set_xy(96, y + 20)
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(0, 6, _("Ticket code"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(96)
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 11, registration.ticket_code_display, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(20, y + 76)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5.5, _("Show the QR code at the entrance (on paper or on your phone). "
                             "Without it, the door staff can find you by name or by the ticket code."))
    return bytes(pdf.output())
