"""Channels into requests (issue 17 B): the portal's form with photos and a place, paper mail entered at the
desk with its scan, the files of a request, and the satisfaction answer.

Rules:
- Files are checked by their content (api.channels.attachments) before anything is stored: one bad file refuses
  the whole form (422 naming it), so a citizen never believes a photo was sent when it was not.
- The upload routes have their own body limit (UPLOAD_MAX_BYTES; api.body_limit), every other route keeps 1 MiB.
- A request's files are seen by whoever may see the request (api.security.access), and each opening is audited.
- Anyone holding a reference may follow it (GET /portal/requests/{reference}): only its type, stage and dates,
  and the answer once approved; an unknown or malformed reference is the same 404 at the same cost, and look-ups
  are limited per address (TRACK_LIMIT), so references cannot be enumerated cheaply.
- The satisfaction answer (the closing message's one-time link) is the only rating: it also sets
  requests.satisfaction, which the complaint dashboards read.
- The citizen is told that their request was received (api.channels.notify), on the channel they gave.
- The form and the letter may name a category (GET /portal/config lists them with the request types they go with:
  every category for a type of the complaint workflow, api.complaints.offered_categories); the workflow then
  routes the request and sets its deadline from it. An unknown category, or one for a type that takes none, is a
  422 naming it; without one the type's default category applies.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import Response

from api.channels.attachments import MAX_ATTACHMENT_BYTES, AttachmentRefused, CheckedAttachment, check_attachment
from api.channels.notify import Outbox
from api.complaints import offered_categories
from api.crud import channels, rate_limits, requests
from api.deps import LetterDep, NotifierDep, NowDep, RequestConfigDep, SessionDep, StaffDep, check_request_choice
from api.net import limit_key
from api.problems import documented, retry_after
from api.request_config import PORTAL_WINDOW
from api.schemas.audit import AuditAction
from api.schemas.channels import (
    AttachmentPage,
    PaperRequestCreate,
    PortalCategory,
    PortalConfig,
    PortalFormCreate,
    PortalRequestType,
    PortalTracking,
    SatisfactionAnswer,
)
from api.schemas.requests import RequestCreate, RequestCreated
from api.security.audit import AuditDep
from api.security.scopes import RequestScopeDep
from callcenter.departments import Category

router = APIRouter(tags=["channels"])

MAX_FILES = 5
UPLOAD_PATHS = ("/portal/requests/form", "/requests/paper")
TRACK_LIMIT = 30  # look-ups per address and PORTAL_WINDOW: a citizen checks a few, a scanner is slowed to a crawl
UPLOAD_MAX_BYTES = MAX_FILES * MAX_ATTACHMENT_BYTES + 64 * 1024  # the files and the form's fields


Files = Annotated[list[UploadFile], File(description=f"at most {MAX_FILES} files")]


async def _checked(files: list[UploadFile], *, allow_pdf: bool) -> list[CheckedAttachment]:
    if len(files) > MAX_FILES:
        raise HTTPException(422, f"at most {MAX_FILES} files")
    checked = []
    for upload in files:
        content = await upload.read(MAX_ATTACHMENT_BYTES + 1)
        try:
            checked.append(check_attachment(upload.filename, content, allow_pdf=allow_pdf))
        except AttachmentRefused as refusal:
            raise HTTPException(422, str(refusal)) from refusal
    return checked


@router.get("/portal/config", tags=["portal"])
async def portal_config(config: RequestConfigDep) -> PortalConfig:
    """The portal form's choices: request types, languages and complaint categories (public)."""
    numbered = [kind for kind in config.callcenter.request_types if kind.digit.isdigit()]
    types = [PortalRequestType(number=int(kind.digit), key=kind.key, names=dict(kind.names)) for kind in numbered]
    offered: dict[str, tuple[Category, list[int]]] = {}  # category -> itself and its types' numbers, in order
    for kind in numbered:
        for category in offered_categories(config.callcenter.complaints, type_key=kind.key):
            offered.setdefault(category.key, (category, []))[1].append(int(kind.digit))
    categories = [PortalCategory(key=key, names=dict(category.names), request_types=numbers)
                  for key, (category, numbers) in offered.items()]  # fmt: skip
    return PortalConfig(request_types=types, languages=[language.code for language in config.callcenter.languages],
                        categories=categories)  # fmt: skip


@router.post("/portal/requests/form", status_code=status.HTTP_201_CREATED, tags=["portal"], responses=documented(429))
async def open_from_form(
    form: Annotated[PortalFormCreate, Form()],
    request: Request,
    session: SessionDep,
    config: RequestConfigDep,
    notifier: NotifierDep,
    now: NowDep,
    photos: Files = [],  # noqa: B006  FastAPI copies defaults
) -> RequestCreated:
    """The portal's form with photos and a place: no token, a few requests per address and 10 minutes."""
    address = limit_key(request.client.host if request.client else "unknown")
    wait_s = await rate_limits.hit(
        session, key=f"portal:{address}", limit=config.portal_limit, window=PORTAL_WINDOW, now=now
    )
    if wait_s is not None:
        raise HTTPException(429, "too many requests from this address; try again later", headers=retry_after(wait_s))
    check_request_choice(config, form.request_type, form.category)
    checked = await _checked(photos, allow_pdf=False)
    request_in = RequestCreate(**form.model_dump(exclude={"channel"}), channel=form.channel.value, source="portal",
                               created_at=now, created_by="portal")  # fmt: skip
    outbox = Outbox(notifier)  # the acknowledgement, recorded in the opening's transaction
    opened = await channels.open_with_files(session, config=config, request_in=request_in, files=checked,
                                            origin="web", now=now, outbox=outbox)  # fmt: skip
    created = RequestCreated(reference=opened.reference, due_at=opened.due_at)
    await outbox.deliver(session, now=now)  # after reading `opened`: a failed try rolls its session back
    return created


@router.post("/requests/paper", status_code=status.HTTP_201_CREATED)
async def open_from_paper(
    form: Annotated[PaperRequestCreate, Form()],
    session: SessionDep,
    config: RequestConfigDep,
    principal: LetterDep,
    notifier: NotifierDep,
    now: NowDep,
    scans: Files = [],  # noqa: B006
) -> RequestCreated:
    """A letter received at the desk, with its scan (JPEG, PNG, WebP or PDF)."""
    check_request_choice(config, form.request_type, form.category)
    checked = await _checked(scans, allow_pdf=True)
    request_in = RequestCreate(**form.model_dump(), source="paper", channel="paper", created_at=now,
                               created_by=principal.name)  # fmt: skip
    outbox = Outbox(notifier)  # the acknowledgement, recorded in the opening's transaction
    opened = await channels.open_with_files(session, config=config, request_in=request_in, files=checked,
                                            origin="paper", now=now, outbox=outbox)  # fmt: skip
    created = RequestCreated(reference=opened.reference, due_at=opened.due_at)
    await outbox.deliver(session, now=now)  # after reading `opened`: a failed try rolls its session back
    return created


async def _visible(session: SessionDep, reference: str, scope: RequestScopeDep) -> int:
    found = await requests.by_reference(session, reference=reference)
    if found is None or (scope is not None and not scope.admits(language=found.language, created_by=found.created_by)):
        raise HTTPException(404, "no such request")
    return found.id


@router.get("/requests/{reference}/attachments")
async def list_attachments(
    reference: str, session: SessionDep, principal: StaffDep, scope: RequestScopeDep
) -> AttachmentPage:
    """The files that came with a request (photos, scans, mail attachments)."""
    request_id = await _visible(session, reference, scope)
    return AttachmentPage(items=await channels.attachments_of(session, request_id=request_id))


@router.get("/requests/{reference}/attachments/{attachment_id}", response_class=Response)
async def get_attachment(
    reference: str,
    attachment_id: int,
    session: SessionDep,
    principal: StaffDep,
    scope: RequestScopeDep,
    audit: AuditDep,
) -> Response:
    """One file: pictures shown inline, PDF documents downloaded."""
    request_id = await _visible(session, reference, scope)
    found = await channels.attachment(session, request_id=request_id, attachment_id=attachment_id)
    if found is None:
        raise HTTPException(404, "no such file on this request")
    await audit(AuditAction.READ_REQUEST, f"request:{reference}", f"attachment {found.id}")
    disposition = "inline" if found.media_type.startswith("image/") else "attachment"
    plain = f"attachment-{found.id}.{found.filename.rpartition('.')[2]}"  # ASCII; the real name in filename*
    named = f"{disposition}; filename=\"{plain}\"; filename*=UTF-8''{quote(found.filename)}"
    headers = {"Content-Disposition": named, "Cache-Control": "private, no-store"}
    return Response(found.content, media_type=found.media_type, headers=headers)


@router.get("/portal/requests/{reference}", tags=["portal"], responses=documented(429))
async def track(
    reference: str, request: Request, session: SessionDep, config: RequestConfigDep, now: NowDep
) -> PortalTracking:
    """Follow a request by its reference: its stage and dates, the answer once approved (public, no personal data)."""
    address = limit_key(request.client.host if request.client else "unknown")
    wait_s = await rate_limits.hit(session, key=f"portal-track:{address}", limit=TRACK_LIMIT, window=PORTAL_WINDOW,
                                   now=now)  # fmt: skip
    if wait_s is not None:
        raise HTTPException(429, "too many requests from this address; try again later", headers=retry_after(wait_s))
    found = await channels.tracking(session, reference=reference[:64])
    if found is None:
        raise HTTPException(404, "no such request")
    return found


@router.post(
    "/portal/requests/{reference}/satisfaction", status_code=status.HTTP_204_NO_CONTENT, tags=["portal"],
    responses=documented(404, 409),
)  # fmt: skip
async def answer_satisfaction(reference: str, body: SatisfactionAnswer, session: SessionDep, now: NowDep) -> None:
    """The citizen's answer to the satisfaction question of a closed request (the link's token; once)."""
    found = await requests.by_reference(session, reference=reference)
    if found is None:
        raise HTTPException(404, "no such request")
    if not await channels.answer_satisfaction(session, request=found, token=body.token, rating=body.rating,
                                              comment=body.comment, now=now):  # fmt: skip
        raise HTTPException(409, "this link is not valid, or the question was already answered")
