"""Staff users in PostgreSQL (rules: api.security.users and api.security.passwords): keyword-only functions, each
given its session and, when it writes, the current time. Passwords arrive hashed; this module never sees one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud import staff_sessions
from api.models import StaffUser
from api.schemas.users import UserCreate
from api.security.passwords import hash_in_thread, new_password
from api.security.tokens import Role

# IVR_DEMO=1 only: three agents on real seats of asterisk_conf/pjsip.conf, a supervisor and an admin.
DEMO_USERS = (
    UserCreate(username="agent1001", display_name="Agent 1001", role=Role.AGENT, seat="agent1001", language="fr"),
    UserCreate(username="agent1002", display_name="Agent 1002", role=Role.AGENT, seat="agent1002", language="ar"),
    UserCreate(username="agent1003", display_name="Agent 1003", role=Role.AGENT, seat="agent1003", language="en"),
    UserCreate(username="supervisor", display_name="Supervisor", role=Role.SUPERVISOR, language="fr"),
    UserCreate(username="admin", display_name="Admin", role=Role.ADMIN, language="fr"),
)


class UserConflictError(Exception):
    """The username exists, or the seat belongs to another enabled user."""


async def get_user(session: AsyncSession, *, username: str) -> StaffUser | None:
    return await session.scalar(select(StaffUser).where(StaffUser.username == username))


async def list_users(session: AsyncSession) -> list[StaffUser]:
    return list((await session.scalars(select(StaffUser).order_by(StaffUser.username))).all())


async def create_user(
    session: AsyncSession, *, user: UserCreate, password_hash: str, now: datetime, demo: bool = False
) -> StaffUser:
    row = StaffUser(
        username=user.username,
        display_name=user.display_name,
        password_hash=password_hash,
        role=user.role.value,
        seat=user.seat,
        language=user.language,
        disabled=False,
        demo=demo,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise UserConflictError(_conflict(user.username, user.seat)) from error
    return row


def _conflict(username: str, seat: str | None) -> str:
    return f"username {username!r} exists" + (f", or seat {seat} belongs to another enabled user" if seat else "")


async def set_password(session: AsyncSession, *, user: StaffUser, password_hash: str, now: datetime) -> None:
    """A new password ends every session of the user (whoever knew the old one is signed out)."""
    user.password_hash = password_hash
    user.updated_at = now
    await staff_sessions.end_user_sessions(session, user_id=user.id, now=now)
    await session.commit()


async def rehash_password(session: AsyncSession, *, user: StaffUser, password_hash: str, now: datetime) -> None:
    """The same password under stronger parameters: sessions stay."""
    user.password_hash = password_hash
    user.updated_at = now
    await session.commit()


async def set_disabled(session: AsyncSession, *, user: StaffUser, disabled: bool, now: datetime) -> None:
    """Disabling ends every session of the user at once; enabling fails if another user took the seat."""
    user.disabled = disabled
    user.updated_at = now
    if disabled:
        await staff_sessions.end_user_sessions(session, user_id=user.id, now=now)
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise UserConflictError(f"seat {user.seat} belongs to another enabled user") from error


async def delete_demo_users(session: AsyncSession) -> int:
    """Outside demo mode: the demo accounts go (their sessions with them, ON DELETE CASCADE)."""
    result = await session.execute(delete(StaffUser).where(StaffUser.demo))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def count_enabled_admins(session: AsyncSession) -> int:
    query = select(func.count()).select_from(StaffUser).where(StaffUser.role == "admin", ~StaffUser.disabled)
    return int(await session.scalar(query) or 0)


async def ensure_demo_users(
    session: AsyncSession, *, now: datetime, new_passwords: bool, extra: Sequence[UserCreate] = ()
) -> dict[str, tuple[str, str]]:
    """The demo accounts exist (a real account of the same name or seat wins); with `new_passwords` each gets a
    new random password, returned as username -> (description, password). Without, missing ones get one random
    password nobody sees (the printed ones are set by `ivr api` before it serves)."""
    issued: dict[str, tuple[str, str]] = {}
    unknown_hash: str | None = None
    for demo in (*DEMO_USERS, *extra):  # extra: the complaint workflow's people (api.complaints)
        existing = await get_user(session, username=demo.username)
        if existing is not None and not existing.demo:
            continue
        label = f"{demo.role.value}" + (f", seat {demo.seat}" if demo.seat else "") + f", {demo.language}"
        if new_passwords:
            password = new_password()
            password_hash = await hash_in_thread(password)
            issued[demo.username] = (label, password)
        elif existing is None:
            unknown_hash = unknown_hash or await hash_in_thread(new_password())
            password_hash = unknown_hash
        else:
            continue
        if existing is None:
            try:
                await create_user(session, user=demo, password_hash=password_hash, now=now, demo=True)
            except UserConflictError:  # a real account holds the seat
                issued.pop(demo.username, None)
        else:
            existing.disabled = False
            await set_password(session, user=existing, password_hash=password_hash, now=now)
    return issued
