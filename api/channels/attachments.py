"""Files citizens send (web-form photos, e-mail attachments, paper scans), checked by their content, never by
their name or declared type.

Rules:
- A picture is accepted only when Pillow decodes it as JPEG, PNG or WebP, within a pixel budget (decompression
  bombs are refused before decoding), and is stored re-encoded from its pixels: whatever rode along (EXIF with
  the phone's position, a script appended to make a polyglot, a second format's header) is gone.
- A PDF is accepted only where the caller allows it (paper scans, e-mail), by its magic bytes, and only without
  markup in its first kilobytes (an HTML/PDF polyglot); it is always served as a download, never inline.
- SVG, HTML and anything else is refused with a reason the citizen can act on.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is ~48 M: 40 M keeps room for scans, refuses bombs
PICTURE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
PDF_MAGIC = b"%PDF-"
MARKUP = re.compile(rb"<\s*(html|script|svg|body|iframe|!doctype)", re.IGNORECASE)


class AttachmentRefused(ValueError):
    """Why a file was not accepted, in words for the citizen or the desk."""


@dataclass(frozen=True)
class CheckedAttachment:
    filename: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def plain_name(name: str | None) -> str:
    """The name as sent, without any path or control characters (to show and to store)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    return "".join(c for c in base if c.isalnum() or c in " ._-")[:150].strip(" .") or "file"


def safe_filename(name: str | None, *, extension: str) -> str:
    """A plain name for the stored file, with the extension of what it is."""
    base = plain_name(name)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'file'}.{extension}"


def check_attachment(
    filename: str | None,
    content: bytes,
    *,
    allow_pdf: bool = False,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> CheckedAttachment:
    """The file as it will be stored, or AttachmentRefused."""
    shown = plain_name(filename)
    if not content:
        raise AttachmentRefused(f"{shown}: the file is empty")
    if len(content) > max_bytes:
        raise AttachmentRefused(f"{shown}: larger than {max_bytes // (1024 * 1024)} MB")
    if content.startswith(PDF_MAGIC):
        if not allow_pdf:
            raise AttachmentRefused(f"{shown}: only photos (JPEG, PNG or WebP) are accepted here")
        if MARKUP.search(content[:4096]) or b"%%EOF" not in content[-2048:]:
            raise AttachmentRefused(f"{shown}: not a well-formed PDF document")
        return CheckedAttachment(safe_filename(filename, extension="pdf"), "application/pdf", content)
    return _picture(filename, content, shown=shown, max_pixels=max_pixels, allow_pdf=allow_pdf)


def _picture(
    filename: str | None, content: bytes, *, shown: str, max_pixels: int, allow_pdf: bool
) -> CheckedAttachment:
    accepted = "JPEG, PNG or WebP photos" + (" or PDF documents" if allow_pdf else "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=list(PICTURE_TYPES)) as probe:
                kind = probe.format or ""
                width, height = probe.size
                if width * height > max_pixels:
                    raise AttachmentRefused(f"{shown}: the picture is too large ({width}x{height} pixels)")
                probe.verify()
            with Image.open(io.BytesIO(content), formats=[kind]) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                media_type, extension = PICTURE_TYPES[kind]
                if kind == "JPEG" and upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                out = io.BytesIO()
                upright.save(out, format=kind, **({"quality": 88} if kind != "PNG" else {"optimize": True}))
    except AttachmentRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise AttachmentRefused(f"{shown}: not one of the accepted files ({accepted})") from error
    except (OSError, ValueError, SyntaxError, KeyError, EOFError) as error:  # truncated or corrupt pictures
        raise AttachmentRefused(f"{shown}: the picture is damaged and cannot be read") from error
    return CheckedAttachment(safe_filename(filename, extension=extension), media_type, out.getvalue())
