"""Hostile photo uploads and orphaned photo files (issue #11, item 6).

Reproduction: a 40,000 × 40,000 PNG of 194 KB answered 500 (decompression bomb); a
144-megapixel image was accepted; a JPEG with HTML appended was stored as sent; photos kept
their EXIF GPS position; files of superseded photo requests stayed on disk. Every image is
made in memory with Pillow, small and fast.
"""

import io
import struct
import zlib
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest
from PIL import ExifTags, Image

from family.models import ChangeRequest, Child, ChildPhoto
from family.services import change_request_accept, change_request_cancel, change_request_refuse
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = ChangeRequest.Status


@pytest.fixture
def child(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    return Child.objects.create(
        family=family, first_name="Léa", last_name="Dupont", birth_date=date(2016, 3, 14)
    )


@pytest.fixture
def client(client_a, child):
    parent = UserFactory(email="sophie.photo@example.test")
    SubscriptionFactory(user=parent, family=child.family)
    client_a.force_login(parent)
    client_a.parent = parent
    return client_a


def _png(size=(40, 30), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 1).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(size=(40, 30), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header (IHDR) declares ``width × height``: what a decompression
    bomb looks like to a parser, for a few hundred bytes."""
    data = bytearray(_png((1, 1), mode="1"))
    ihdr = 8  # after the signature: length (4), "IHDR" (4), then the 13 bytes of data
    body = struct.pack(">II", width, height) + bytes(data[ihdr + 16 : ihdr + 8 + 13])
    data[ihdr + 8 : ihdr + 8 + 13] = body
    crc = zlib.crc32(b"IHDR" + body) & 0xFFFFFFFF
    data[ihdr + 8 + 13 : ihdr + 8 + 13 + 4] = struct.pack(">I", crc)
    return bytes(data)


def _post(client, child, content: bytes, name="photo.png", content_type="image/png"):
    url = reverse("family:dossier_child_photo_edit", args=[child.pk])
    return client.post(url, {"photo": SimpleUploadedFile(name, content, content_type)})


def _stored(request: ChangeRequest) -> bytes:
    with request.photo.open("rb") as handle:
        return handle.read()


# --- what is accepted --------------------------------------------------------------------


def test_decompression_bomb_is_refused_with_a_message_not_a_500(client, child):
    """Reproduction: a PNG declaring 40,000 × 40,000 pixels answered 500."""
    bomb = _png_declaring(40_000, 40_000)
    assert len(bomb) < 1000
    response = _post(client, child, bomb)
    assert response.status_code == 200
    assert "Cette image est trop grande : 40 millions de pixels au maximum" in (
        response.content.decode()
    )
    assert not ChangeRequest.objects.exists()


def test_144_megapixel_image_is_refused(client, child):
    """Reproduction: a 12,000 × 12,000 image (144 megapixels) was accepted."""
    response = _post(client, child, _png_declaring(12_000, 12_000))
    assert "Cette image est trop grande" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_a_real_42_megapixel_image_is_refused(client, child):
    """Above the cap (40 megapixels) but below Pillow's own bomb warning: our cap decides."""
    image = _png((7_000, 6_000), mode="1")
    assert len(image) < 2_000_000
    response = _post(client, child, image)
    assert "Cette image est trop grande" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_jpeg_with_html_appended_is_stored_re_encoded(client, child):
    """Reproduction: a JPEG followed by an HTML page was stored byte for byte."""
    hostile = _jpeg() + b"<html><script>alert(document.cookie)</script></html>"
    response = _post(client, child, hostile, name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 302
    stored = _stored(ChangeRequest.objects.get())
    assert b"<script" not in stored and b"<html" not in stored
    assert stored.startswith(b"\xff\xd8\xff") and stored.rstrip(b"\x00").endswith(b"\xff\xd9")
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


def test_exif_gps_is_dropped_and_orientation_applied(client, child):
    """Reproduction: the stored photo kept its EXIF block with the GPS position. The EXIF
    orientation (6: rotate 90°) is applied before the metadata goes, so the photo stays
    upright."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Téléphone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (47.0, 54.0, 12.0)
    original = _jpeg((40, 20), exif=exif.tobytes())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    response = _post(client, child, original, name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 302
    stored = _stored(ChangeRequest.objects.get())
    assert b"Exif" not in stored
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif()
    assert image.size == (20, 40)


def test_png_metadata_is_dropped(client, child):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(buffer, format="PNG", pnginfo=info)
    _post(client, child, buffer.getvalue())
    stored = _stored(ChangeRequest.objects.get())
    assert b"<script" not in stored and b"tEXt" not in stored


def test_ordinary_photos_are_accepted(client, child):
    assert _post(client, child, _png()).status_code == 302
    assert _post(client, child, _jpeg(), "a.jpg", "image/jpeg").status_code == 302
    request = ChangeRequest.objects.get(status=Status.PENDING)
    assert request.changes["content_type"]["new"] == "image/jpeg"


# --- files nobody can reach any more -------------------------------------------------------


def _exists(field_file_name: str) -> bool:
    from family.models import private_storage

    return private_storage().exists(field_file_name)


def test_superseded_photo_requests_file_is_deleted_after_commit(
    client, child, django_capture_on_commit_callbacks
):
    """Reproduction: the file of a photo request replaced by a newer one stayed on disk."""
    _post(client, child, _png())
    first = ChangeRequest.objects.get()
    name = first.photo.name
    with django_capture_on_commit_callbacks() as callbacks:
        _post(client, child, _jpeg(), "b.jpg", "image/jpeg")
        first.refresh_from_db()
        assert first.status == Status.SUPERSEDED and not first.photo
        assert _exists(name), "deleted before the transaction committed"
    for callback in callbacks:
        callback()
    assert not _exists(name)
    assert _exists(ChangeRequest.objects.get(status=Status.PENDING).photo.name)


@pytest.mark.parametrize("decision", ["refuse", "cancel"])
def test_refused_or_cancelled_photo_requests_file_is_deleted(
    client, child, agent_a, decision, django_capture_on_commit_callbacks
):
    _post(client, child, _png())
    request = ChangeRequest.objects.get()
    name = request.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "refuse":
            change_request_refuse(change_request=request, by=agent_a, reason="Photo floue")
        else:
            change_request_cancel(change_request=request, by=client.parent)
    request.refresh_from_db()
    assert not request.photo
    assert not _exists(name)
    client.force_login(agent_a)
    detail = client.get(reverse("family_admin:request_photo", args=[request.pk]))
    assert detail.status_code == 404


def test_replaced_photos_old_file_is_deleted_on_accept(
    client, child, agent_a, django_capture_on_commit_callbacks
):
    _post(client, child, _png())
    with django_capture_on_commit_callbacks(execute=True):
        change_request_accept(change_request=ChangeRequest.objects.get(), by=agent_a)
    old = ChildPhoto.objects.get(child=child).file.name
    assert _exists(old)
    _post(client, child, _jpeg(), "b.jpg", "image/jpeg")
    with django_capture_on_commit_callbacks() as callbacks:
        change_request_accept(
            change_request=ChangeRequest.objects.get(status=Status.PENDING), by=agent_a
        )
        assert _exists(old), "deleted before the transaction committed"
    for callback in callbacks:
        callback()
    photo = ChildPhoto.objects.get(child=child)
    assert photo.file.name != old and _exists(photo.file.name)
    assert not _exists(old)


def test_a_rolled_back_decision_keeps_the_file(client, child, agent_a):
    """Deletion waits for the commit: a decision that fails leaves the file in place."""
    from django.db import transaction

    _post(client, child, _png())
    request = ChangeRequest.objects.get()
    name = request.photo.name
    with pytest.raises(RuntimeError), transaction.atomic():
        change_request_refuse(change_request=request, by=agent_a, reason="Photo floue")
        raise RuntimeError
    assert _exists(name)
    request.refresh_from_db()
    assert request.photo.name == name and request.status == Status.PENDING
