"""Children's photos: what a parent uploads is checked and re-encoded before it is stored, and
a file nobody can reach any more is deleted once the transaction that orphaned it commits.

A hostile upload must cost little and carry nothing: the pixel count is read from the header
and capped before any pixel is decoded (a 40,000 × 40,000 PNG weighs a few hundred kilobytes
and would need gigabytes of memory); the accepted image is decoded and written again, which
drops whatever follows the image data (HTML appended to a JPEG), the EXIF block (GPS
position, camera) and other metadata, after applying the EXIF orientation so the photo stays
upright.
"""

import io
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

PHOTO_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
PHOTO_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
PHOTO_EXTENSIONS = {"JPEG": "jpg", "PNG": "png"}


class PhotoError(DomainError):
    """A refused photo; ``.message`` is the French text for the parent."""


def photo_max_pixels() -> int:
    return getattr(settings, "PORTAL_PHOTO_MAX_PIXELS", 40_000_000)


def _not_an_image() -> PhotoError:
    return PhotoError(_("Ce fichier n’est pas une image JPEG ou PNG : choisissez une photo."))


def _too_many_pixels() -> PhotoError:
    megapixels = f"{photo_max_pixels() / 1_000_000:g}".replace(".", ",")
    return PhotoError(
        _(
            "Cette image est trop grande : %(megapixels)s millions de pixels au maximum "
            "(par exemple 7 000 × 5 700). Réduisez-la avant de l’envoyer."
        )
        % {"megapixels": megapixels}
    )


def _open(data: bytes) -> Image.Image:
    """Open (header only) and check the size before anything is decoded. Pillow's own bomb
    guard raises beyond twice ``MAX_IMAGE_PIXELS`` and only warns below: both become our
    refusal, and our cap is lower than either."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    width, height = image.size
    if width * height > photo_max_pixels():
        image.close()
        raise _too_many_pixels()
    return image


def photo_sanitize(upload) -> tuple[ContentFile, str]:
    """The upload as a fresh JPEG or PNG file (name ``photo.<ext>``) and its content type;
    raises PhotoError for anything else, a truncated file or too many pixels."""
    upload.seek(0)
    data = upload.read()  # small: the form caps the size first
    head = data[:8]
    declared = next(
        (kind for magic, kind in PHOTO_SIGNATURES.items() if head.startswith(magic)), None
    )
    if declared is None:
        raise _not_an_image()
    image = _open(data)
    try:
        if image.format != declared:
            raise _not_an_image()
        image.verify()  # structure and checksums, before decoding
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    finally:
        image.close()
    # verify() leaves the image unusable: open again to decode it.
    image = _open(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
        upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except (OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    finally:
        image.close()
    output = io.BytesIO()
    if declared == "JPEG":
        # A new image from the pixels only: no EXIF, ICC, comments or trailing bytes.
        upright.convert("RGB").save(output, format="JPEG", quality=88, optimize=True)
    else:
        mode = upright.mode if upright.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else "RGBA"
        upright.convert(mode).save(output, format="PNG", optimize=True)
    return (
        ContentFile(output.getvalue(), name=f"photo.{PHOTO_EXTENSIONS[declared]}"),
        PHOTO_CONTENT_TYPES[declared],
    )


def file_delete_on_commit(field_file) -> None:
    """Delete a stored file once the current transaction commits (never before: a rollback
    must find its file still there). Does nothing for an empty field."""
    name = getattr(field_file, "name", "")
    if not name:
        return
    storage = field_file.storage
    transaction.on_commit(lambda: storage.delete(name))
