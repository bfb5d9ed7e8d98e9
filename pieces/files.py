"""What a parent or an agent uploads is checked by its content, never by its name.

- PDF: it must start with ``%PDF-<version>``, end with ``%%EOF``, and ``filetype`` must read
  it as a PDF; it is kept as sent
  (rewriting a PDF would need a PDF library we do not ship) and is only ever served as
  ``application/pdf`` with ``nosniff``, as an attachment or in a sandboxed frame.
- JPEG and PNG: opened header first and capped in pixels (``family.photos``'s approach), then
  decoded and written again, which drops metadata (GPS position) and whatever follows the
  image data (HTML appended to a JPEG).
- HEIC / HEIF (iPhones' photos): converted to JPEG with ``pillow_heif``, then as above.
- Anything else (an executable, an HTML page renamed ``.pdf``, a ZIP…) is refused with a
  French message. The size limit per file is ``PORTAL_DOCUMENT_MAX_BYTES``.
"""

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

from .models import Format

PDF_MAGIC = b"%PDF-"
PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")


class DocumentError(DomainError):
    """A refused document operation or file; ``.message`` is the French text."""


def max_bytes() -> int:
    return getattr(settings, "PORTAL_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)


def max_files() -> int:
    return getattr(settings, "PORTAL_DOCUMENT_MAX_FILES", 5)


def max_pixels() -> int:
    return getattr(settings, "PORTAL_PHOTO_MAX_PIXELS", 40_000_000)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".").replace(".", ",")


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile
    content_type: str
    size: int
    original_name: str


def display_name(name: str) -> str:
    """The sender's file name as shown on the page (never used to store the file)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        char for char in unicodedata.normalize("NFC", name) if unicodedata.category(char)[0] != "C"
    )
    return cleaned.strip()[:120]


def _refused(name: str, formats) -> DocumentError:
    labels = dict(Format.choices)
    accepted = ", ".join(str(labels[f]) for f in formats if f in labels)
    return DocumentError(
        _(
            "« %(name)s » n’est pas un fichier accepté pour ce document (formats acceptés : %(formats)s)."
        )
        % {"name": name or _("le fichier"), "formats": accepted}
    )


def _image_rewrite(data: bytes, *, name: str, formats, heic: bool = False) -> tuple[bytes, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels():
                raise DocumentError(
                    _("« %(name)s » est une image trop grande : réduisez-la avant de l’envoyer.")
                    % {"name": name}
                )
            kind = "JPEG" if heic else image.format
            if kind not in ("JPEG", "PNG"):
                raise _refused(name, formats)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DocumentError(
            _("« %(name)s » est une image trop grande : réduisez-la avant de l’envoyer.")
            % {"name": name}
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DocumentError(
            _("« %(name)s » est une image illisible ou incomplète : envoyez-la de nouveau.")
            % {"name": name}
        ) from error
    output = io.BytesIO()
    if kind == "JPEG":
        upright.convert("RGB").save(output, format="JPEG", quality=88, optimize=True)
        return output.getvalue(), "image/jpeg"
    mode = upright.mode if upright.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else "RGBA"
    upright.convert(mode).save(output, format="PNG", optimize=True)
    return output.getvalue(), "image/png"


def _heic_open(data: bytes) -> bytes:
    """A HEIC/HEIF photo as JPEG bytes (then rewritten like any JPEG)."""
    import pillow_heif

    heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    if heif.size[0] * heif.size[1] > max_pixels():
        raise DocumentError(_("Cette photo est trop grande : réduisez-la avant de l’envoyer."))
    image = heif.to_pillow()
    output = io.BytesIO()
    image.convert("RGB").save(output, format="JPEG", quality=92)
    return output.getvalue()


def file_check(upload, *, formats) -> CheckedFile:
    """The upload as a file we may store, or ``DocumentError`` (nothing stored)."""
    name = display_name(getattr(upload, "name", ""))
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise DocumentError(
            _("« %(name)s » est trop volumineux : %(limit)s Mo au maximum par fichier.")
            % {"name": name, "limit": _megabytes(max_bytes())}
        )
    upload.seek(0)
    data = upload.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise DocumentError(
            _("« %(name)s » est trop volumineux : %(limit)s Mo au maximum par fichier.")
            % {"name": name, "limit": _megabytes(max_bytes())}
        )
    if not data:
        raise DocumentError(_("« %(name)s » est vide.") % {"name": name})
    guessed = filetype.guess(data)
    mime = guessed.mime if guessed else ""
    if data.startswith(PDF_MAGIC) and mime == "application/pdf":
        # A version in the header and the end-of-file marker near the end: a page of HTML
        # behind a bare ``%PDF-`` is not a PDF.
        if not PDF_HEADER.match(data) or b"%%EOF" not in data[-1024:]:
            raise _refused(name, formats)
        if Format.PDF not in formats:
            raise _refused(name, formats)
        return CheckedFile(ContentFile(data), "application/pdf", len(data), name)
    if mime in ("image/heic", "image/heif"):
        if Format.JPEG not in formats:
            raise _refused(name, formats)
        try:
            data = _heic_open(data)
        except DocumentError:
            raise
        except Exception as error:  # noqa: BLE001 -- any decoder failure is a refusal
            raise DocumentError(
                _(
                    "« %(name)s » est une photo HEIC que nous n’arrivons pas à lire : "
                    "enregistrez-la en JPEG (« Le plus compatible » dans les réglages de "
                    "l’appareil photo) ou envoyez un PDF."
                )
                % {"name": name}
            ) from error
        content, content_type = _image_rewrite(data, name=name, formats=formats, heic=True)
        return CheckedFile(ContentFile(content), content_type, len(content), name)
    if mime in ("image/jpeg", "image/png"):
        wanted = Format.JPEG if mime == "image/jpeg" else Format.PNG
        if wanted not in formats:
            raise _refused(name, formats)
        content, content_type = _image_rewrite(data, name=name, formats=formats)
        if len(content) > max_bytes():
            raise DocumentError(
                _("« %(name)s » est trop volumineux : %(limit)s Mo au maximum par fichier.")
                % {"name": name, "limit": _megabytes(max_bytes())}
            )
        return CheckedFile(ContentFile(content), content_type, len(content), name)
    raise _refused(name, formats)


def accept_attribute(formats) -> str:
    """The file input's ``accept``: the types by MIME and extension (HEIC with JPEG, so an
    iPhone offers its photos; the server converts them)."""
    parts = []
    if Format.PDF in formats:
        parts += ["application/pdf", ".pdf"]
    if Format.JPEG in formats:
        parts += ["image/jpeg", ".jpg", ".jpeg", "image/heic", "image/heif", ".heic"]
    if Format.PNG in formats:
        parts += ["image/png", ".png"]
    return ",".join(parts)
