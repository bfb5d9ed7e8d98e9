"""With clamd configured, a file stays « analyse en cours » until scanned: agents cannot open
it; EICAR is refused and the family told; an unreachable scanner keeps the file waiting (fails
closed) and the sweep scans it once clamd answers again. The scanner is a local stand-in
speaking clamd's real protocol (``fake_clamd``)."""

import datetime
import socket

from django.test import override_settings
from django.utils import timezone

import pytest

from notifications.models import OutboxEmail, TimelineEvent
from pieces import tasks
from pieces.antivirus import scan_bytes
from pieces.models import DocumentFile, SupportingDocument
from pieces.services import DocumentError, document_accept, document_upload
from tests.pieces.factories import EICAR, PDF_BYTES, pdf_upload
from tests.pieces.fake_clamd import FakeClamd

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clamd(port):
    return override_settings(PORTAL_CLAMD={"host": "127.0.0.1", "port": port, "timeout": 2})


def test_the_client_speaks_the_protocol_both_ways():
    with FakeClamd() as clamd, _clamd(clamd.port):
        assert scan_bytes(PDF_BYTES) == (True, "")
        assert scan_bytes(EICAR) == (False, "Eicar-Signature")
        assert clamd.scanned == [PDF_BYTES, EICAR]


def _upload(world, data, name="attestation.pdf"):
    return document_upload(
        family=world.own.family,
        document_type=world.insurance,
        uploads=[pdf_upload(name, data)],
        by=world.own.user,
    )


def test_eicar_is_refused_and_the_family_told(world, client_a, django_capture_on_commit_callbacks):
    eicar_pdf = b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"
    with FakeClamd() as clamd, _clamd(clamd.port):
        with django_capture_on_commit_callbacks(execute=True):
            document = _upload(world, eicar_pdf, "virus.pdf")
        row = DocumentFile.objects.get(document=document)
        assert row.scan == DocumentFile.Scan.INFECTED and not row.current
        assert row.scan_result == "Eicar-Signature"
        assert not row.file.storage.exists(row.file.name)
    document.refresh_from_db()
    assert document.status == SupportingDocument.Status.MISSING
    assert TimelineEvent.objects.filter(verb="document_file_infected", subject_id=document.pk)
    assert OutboxEmail.objects.filter(
        family_id=world.own.family.pk, subject__contains="refusé par l’antivirus"
    ).exists()


def test_a_clean_file_waits_for_its_scan_then_opens(
    world, client_a, django_capture_on_commit_callbacks
):
    with FakeClamd() as clamd, _clamd(clamd.port):
        document = _upload(world, PDF_BYTES)  # the scan runs after commit, not yet
        row = DocumentFile.objects.get(document=document)
        assert row.scan == DocumentFile.Scan.PENDING
        client_a.force_login(world.agent)
        assert client_a.get(f"/admin/pieces/fichiers/{row.pk}/").status_code == 404
        page = client_a.get(f"/admin/pieces/documents/{document.pk}/").content.decode()
        assert "Analyse antivirus en cours" in page
        with pytest.raises(DocumentError, match="analyse antivirus"):
            document_accept(document=document, by=world.agent)
        assert tasks.file_scan(row.pk) == DocumentFile.Scan.CLEAN
        assert client_a.get(f"/admin/pieces/fichiers/{row.pk}/").status_code == 200


def test_an_unreachable_scanner_keeps_the_file_waiting(
    world, client_a, django_capture_on_commit_callbacks
):
    port = _free_port()  # nobody listens there
    with _clamd(port):
        with django_capture_on_commit_callbacks(execute=True):
            document = _upload(world, PDF_BYTES)
        row = DocumentFile.objects.get(document=document)
        assert row.scan == DocumentFile.Scan.PENDING and row.scan_attempts == 1
        client_a.force_login(world.agent)
        assert client_a.get(f"/admin/pieces/fichiers/{row.pk}/").status_code == 404
        client_a.force_login(world.own.user)
        assert client_a.get(f"/famille/pieces-justificatives/fichiers/{row.pk}/").status_code == 404
        page = client_a.get(f"/famille/pieces-justificatives/{world.insurance.pk}/").content
        assert "analyse en cours" in page.decode()
    # clamd is back: the sweep scans what waited.
    DocumentFile.objects.filter(pk=row.pk).update(
        uploaded_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    with FakeClamd() as clamd, _clamd(clamd.port):
        assert tasks.scans_retry() == 1
    row.refresh_from_db()
    assert row.scan == DocumentFile.Scan.CLEAN


def test_without_a_scanner_files_are_clean_at_once(world):
    document = _upload(world, PDF_BYTES)
    assert document.files.get().scan == DocumentFile.Scan.CLEAN


def test_the_stand_in_answers_clamds_null_terminated_form_too():
    """clamd's documented form (``zINSTREAM\\0``, answers ending in ``\\0``), spoken raw."""
    import struct

    with FakeClamd() as clamd, socket.create_connection(("127.0.0.1", clamd.port), 2) as raw:
        raw.sendall(b"zINSTREAM\0" + struct.pack("!L", len(EICAR)) + EICAR + struct.pack("!L", 0))
        answer = b""
        while not answer.endswith(b"\0"):
            answer += raw.recv(64)
    assert answer == b"stream: Eicar-Signature FOUND\0"
