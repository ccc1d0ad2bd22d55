"""Check-in: tickets, the door scanner, attendance, self check-in and certificates."""
