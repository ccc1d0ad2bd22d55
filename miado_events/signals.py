"""What happened, announced by a lower layer to the layers above it.

The domain packages form layers (see docs/architecture.md): accounts and
orgs at the bottom, events above them, checkin, calendar and voting above
events, dashboard, privacy and notifications on top. A lower package never
imports a higher one; it sends one of these signals, and the higher packages
that care connect a receiver (``connect_receivers()`` in each of them, called
by the app factory). Receivers run synchronously, inside the sender's
transaction: what they write (an outbox row, a flag) commits or rolls back
with the change that caused it.

Every signal's sender is the object it is about; keyword arguments carry the
rest. ``now`` is the moment of the change (services take it from their
caller, so frozen time in tests reaches the receivers too).
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# --- accounts ----------------------------------------------------------------------------

#: sender: the User whose e-mail address was just verified. kwargs:
#: org_invitation_id (an MSO invitation opened before signing up, or None), now.
email_verified = _signals.signal("email-verified")

# --- events ------------------------------------------------------------------------------

#: sender: the Event that was just published. kwargs: now.
event_published = _signals.signal("event-published")

#: sender: the Event that was cancelled. kwargs: registrations (the active
#: ones it ended, each still showing whether it had a seat), now.
event_cancelled = _signals.signal("event-cancelled")

#: sender: an EventSession whose time or place changed. kwargs:
#: registrations (active ones that cover it), changes (names of the fields).
session_changed = _signals.signal("session-changed")

#: sender: an EventSession that was cancelled. kwargs: registrations.
session_cancelled = _signals.signal("session-cancelled")

#: sender: a Registration whose state changed. kwargs: change, one of
#: ``confirmed`` (a seat, on registering), ``waitlisted`` (kwargs position,
#: reason), ``promoted`` (a seat from the waiting list), ``cancelled``.
registration_changed = _signals.signal("registration-changed")

