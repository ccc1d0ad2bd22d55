"""All models, imported here so that Alembic and the app see the full schema."""
from .accounts import LoginFailure, Role, TokenPurpose, User, UserToken  # noqa: F401
from ..database import utcnow  # noqa: F401
from .orgs import (Membership, MembershipRole, MembershipStatus, OrgDecision,  # noqa: F401
                   OrgInvitation, Organisation, OrganisationTag, OrgStatus, TagKind)
from .events import (ACTIVE_REGISTRATION, Event, EventKind, EventSession, EventStatus,  # noqa: F401
                     Registration, RegistrationStatus, SessionStatus, Slot, SlotOrgSeats,
                     Venue, Visibility)
from .mail import Mailing, MailingKind, OutboxMessage, OutboxStatus  # noqa: F401
from .reminders import SentReminder  # noqa: F401
from .checkin import Attendance, Certificate, CheckInMethod, DoorAssignment, TicketImage  # noqa: F401
from .voting import (Ballot, BallotChange, BallotPoints, Phase, RoundOrganisation, Topic,  # noqa: F401
                     TopicComment, TopicFormat, TopicRound, TopicStatus, TopicSupport)
from .audit import AuditEntry  # noqa: F401
from .pagecache import DataVersion  # noqa: F401
from .replies import CalendarReply, RegistrationAnswer  # noqa: F401
from .meetings import AgendaItem, AgendaKind, AgendaProposal, MeetingAgenda, ProposalStatus  # noqa: F401
from .questions import QuestionAnswer, QuestionKind, RegistrationQuestion  # noqa: F401
from .guests import RegistrationLink  # noqa: F401
from .materials import ItemVisibility, Material, SessionMinutes  # noqa: F401
from .offers import OfferState, WaitlistOffer  # noqa: F401
from .feeds import SharedFeed  # noqa: F401
