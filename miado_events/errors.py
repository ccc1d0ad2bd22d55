"""Domain errors: a machine-readable code and a message for people.

Services raise them; views catch only these, flash the message and redirect.
"""
from __future__ import annotations


class DomainError(Exception):
    """A rule said no. ``code`` is stable (tests assert it); ``message`` is
    a lazily translated string shown to the user."""

    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass
