"""Argon2id password hashing."""
from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults (RFC 9106 low-memory profile). The test suite lowers
# the cost through these variables to stay fast; never lower them in production.
_hasher = PasswordHasher(
    time_cost=int(os.environ.get("ARGON2_TIME_COST", 3)),
    memory_cost=int(os.environ.get("ARGON2_MEMORY_COST", 65536)),
)
# Verified against when no account exists, so that a wrong e-mail address
# costs the same time as a wrong password (no enumeration by timing).
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
