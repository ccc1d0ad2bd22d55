"""Meetings: what happens at a session beyond registration.

The agenda of a session (items, their order, publishing) and the MSOs' agenda
proposals live in agenda.py and proposals.py; minutes, materials and the
meeting archive live in minutes.py, materials.py and archive.py.  This layer
sits above events/orgs/accounts and below calendar/checkin/voting; it
announces changes with blinker signals (miado_events.signals) instead of
importing notifications or calendar.
"""
