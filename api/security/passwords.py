"""Staff passwords: argon2id hashes (argon2-cffi, RFC 9106's low-memory profile), checks and new passwords.

Rules:
- Only the argon2id hash is stored; it carries its own salt and parameters, so stronger parameters later apply
  to each user at their next sign-in (`needs_rehash`).
- A check costs the same whether the user exists or not: an unknown or disabled user is checked against a dummy
  hash of the same parameters, so neither the answer nor its timing tells which usernames exist.
- A check (~50-200 ms of CPU and 64 MiB) runs in a worker thread, never on the event loop, and at most
  `CONCURRENT_CHECKS` at once per process, so a flood of sign-ins cannot take all memory.
- A password set by a person is 12 to 256 characters; a generated one has 96 random bits (16 characters).
"""

from __future__ import annotations

import asyncio
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a 1 MiB "password" from costing anything extra
CONCURRENT_CHECKS = 2

_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(CONCURRENT_CHECKS)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def password_problem(password: str) -> str | None:
    """Why a chosen password cannot be used, or None."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


# The hash of a random password nobody kept, with the hasher's parameters (a unit test checks they still match,
# or the dummy check would cost less than a real one).
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$63qZp1b8uASSME9qhLzSyA$BMLQ4xZqXQFvQOAmMFLFnYxUKtDiBnEfqRu1QPZO2vQ"


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; `password_hash` None (no such user) checks a dummy hash, in the same time."""
    with _slots:
        try:
            return _hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def verify_in_thread(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


async def hash_in_thread(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)
