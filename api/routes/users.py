"""Staff accounts, for admins: list, create (a password generated unless given), reset a password, disable and
enable (rules: api.security.users). Resetting a password or disabling ends the user's sessions at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from api.crud import users
from api.crud.users import UserConflictError
from api.deps import AdminDep, NowDep, SessionDep, SettingsDep
from api.models import StaffUser
from api.problems import documented
from api.schemas.users import PasswordIssued, PasswordReset, UserCreate, UserCreated, UserPublic
from api.security.passwords import hash_in_thread, new_password
from api.security.tokens import Role
from api.security.users import USERNAME_PATTERN, seat_problem

router = APIRouter(prefix="/users", tags=["users"])
UsernamePath = Annotated[str, Path(pattern=USERNAME_PATTERN)]


def public(user: StaffUser) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


async def _user(session: SessionDep, username: str) -> StaffUser:
    user = await users.get_user(session, username=username)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {username!r}")
    return user


@router.get("")
async def list_users(principal: AdminDep, session: SessionDep) -> list[UserPublic]:
    """Every staff account (never a password or its hash)."""
    return [public(user) for user in await users.list_users(session)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=documented(409))
async def create_user(
    body: UserCreate, principal: AdminDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> UserCreated:
    """Create a staff account; a generated password is returned this once."""
    problem = seat_problem(role=body.role.value, seat=body.seat, seats=settings.seat_names)
    if problem:
        raise HTTPException(422, problem)
    password = body.password or new_password()
    try:
        user = await users.create_user(session, user=body, password_hash=await hash_in_thread(password), now=now)
    except UserConflictError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return UserCreated(user=public(user), password=None if body.password else password)


@router.post("/{username}/password", responses=documented(404))
async def reset_password(
    username: UsernamePath, body: PasswordReset, principal: AdminDep, session: SessionDep, now: NowDep
) -> PasswordIssued:
    """Set a new password (generated unless given, returned this once) and end the user's sessions."""
    user = await _user(session, username)
    password = body.password or new_password()
    await users.set_password(session, user=user, password_hash=await hash_in_thread(password), now=now)
    return PasswordIssued(password=None if body.password else password)


@router.post("/{username}/disable", responses=documented(404, 409))
async def disable_user(username: UsernamePath, principal: AdminDep, session: SessionDep, now: NowDep) -> UserPublic:
    """Disable an account: it can no longer sign in and its sessions end at once."""
    user = await _user(session, username)
    if user.username == principal.name and principal.role == Role.ADMIN:
        raise HTTPException(status.HTTP_409_CONFLICT, "an admin cannot disable their own account")
    await users.set_disabled(session, user=user, disabled=True, now=now)
    return public(user)


@router.post("/{username}/enable", responses=documented(404, 409))
async def enable_user(username: UsernamePath, principal: AdminDep, session: SessionDep, now: NowDep) -> UserPublic:
    """Enable an account again (409 if another enabled user has its seat now)."""
    user = await _user(session, username)
    try:
        await users.set_disabled(session, user=user, disabled=False, now=now)
    except UserConflictError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return public(user)
