"""Files are checked by their content, never by their name; the size is capped; the stored name
is the server's; a refused file stores nothing."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

import pytest
from PIL import Image

from pieces.models import DocumentFile, SupportingDocument
from pieces.services import DocumentError, document_upload
from tests.pieces.factories import PDF_BYTES, jpeg_bytes, pdf_upload, png_bytes

pytestmark = pytest.mark.django_db
URL = "/famille/pieces-justificatives/"

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _send(world, name, data, *, content_type="application/pdf"):
    return document_upload(
        family=world.own.family,
        document_type=world.insurance,
        uploads=[SimpleUploadedFile(name, data, content_type=content_type)],
        by=world.own.user,
    )


@pytest.mark.parametrize("data", [EXECUTABLE, ELF, HTML, b"%PDF-" + HTML[:20]])
def test_an_executable_or_an_html_file_renamed_pdf_is_refused(world, data):
    with pytest.raises(DocumentError, match="n’est pas un fichier accepté"):
        _send(world, "avis-imposition.pdf", data)
    assert not SupportingDocument.objects.filter(family=world.own.family).exists()


def test_the_refusal_is_shown_on_the_page_and_nothing_is_stored(client_a, world):
    client_a.force_login(world.own.user)
    before = DocumentFile.objects.count()
    response = client_a.post(
        f"{URL}{world.insurance.pk}/",
        {"fichiers": [SimpleUploadedFile("facture.pdf", HTML, content_type="application/pdf")]},
    )
    assert response.status_code == 400
    assert "n’est pas un fichier accepté pour ce document" in response.content.decode()
    assert DocumentFile.objects.count() == before


@override_settings(PORTAL_DOCUMENT_MAX_BYTES=1024)
def test_an_oversized_file_is_refused(world):
    with pytest.raises(DocumentError, match="trop volumineux : 0 Mo|trop volumineux"):
        _send(world, "gros.pdf", PDF_BYTES + b"%" * 2048)
    assert not SupportingDocument.objects.filter(family=world.own.family).exists()


def test_one_bad_file_among_several_stores_nothing(world):
    with pytest.raises(DocumentError):
        document_upload(
            family=world.own.family,
            document_type=world.insurance,
            uploads=[pdf_upload(), SimpleUploadedFile("b.pdf", EXECUTABLE)],
            by=world.own.user,
        )
    assert not DocumentFile.objects.filter(document__family=world.own.family).exists()


def test_a_format_the_type_does_not_accept_is_refused(world):
    world.insurance.formats = ["pdf"]
    world.insurance.save()
    with pytest.raises(DocumentError, match="formats acceptés : PDF"):
        _send(world, "photo.png", png_bytes(), content_type="image/png")


def test_images_are_rewritten_without_what_follows_them(world):
    data = jpeg_bytes() + b"<html><script>alert(1)</script></html>"
    document = _send(world, "carte.jpg", data, content_type="image/jpeg")
    row = document.files.get()
    assert row.content_type == "image/jpeg" and row.file.name.endswith(".jpg")
    stored = row.file.open("rb").read()
    assert b"<script>" not in stored and stored.startswith(b"\xff\xd8\xff")


def test_a_heic_photo_is_converted_to_jpeg(world):
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    try:
        pillow_heif.from_pillow(Image.new("RGB", (16, 16), (10, 200, 10))).save(buffer)
    except Exception:  # noqa: BLE001 -- this build of libheif has no HEVC encoder
        pytest.skip("no HEIC encoder available to build the sample")
    document = _send(world, "IMG_0001.HEIC", buffer.getvalue(), content_type="image/heic")
    row = document.files.get()
    assert row.content_type == "image/jpeg"
    assert Image.open(row.file.open("rb")).format == "JPEG"


def test_the_senders_name_never_reaches_the_storage(world):
    document = _send(world, "../../etc/passwd\u202e.pdf", PDF_BYTES)
    row = document.files.get()
    assert ".." not in row.file.name and "passwd" not in row.file.name
    assert row.original_name == "passwd.pdf"
