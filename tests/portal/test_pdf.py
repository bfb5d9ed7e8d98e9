"""``portal.pdf``: the renderer fetches nothing (no network, no file), produces a tagged PDF
and stops on its time limit."""

import contextlib
import http.server
import re
import threading
import zlib

import pytest

from portal.pdf import PdfTimeout, render_pdf


@pytest.fixture
def counting_server():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- the stdlib's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_nothing_is_fetched_from_the_network_or_the_disk(counting_server, tmp_path):
    base, hits = counting_server
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = f"""<html lang="fr"><head><title>Test</title>
    <link rel="stylesheet" href="{base}/style.css">
    <link rel="stylesheet" href="file://{secret}">
    <style>@import url("{base}/import.css"); body {{ background: url("{base}/bg.png"); }}</style>
    </head><body><img src="{base}/image.png" alt=""><img src="file:///etc/hostname" alt="">
    <p>Facture</p></body></html>"""
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert hits == []


def _objects(pdf: bytes) -> bytes:
    """The PDF's bytes with its compressed streams (object streams included) inflated."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompressobj().decompress(match.group(1)))
    return b"\n".join(parts)


def test_the_pdf_is_tagged_for_screen_readers():
    html = '<html lang="fr"><head><title>Facture</title></head><body><h1>A</h1></body></html>'
    objects = _objects(render_pdf(html))
    assert b"/StructTreeRoot" in objects and b"/MarkInfo <</Marked true>>" in objects
    assert b"/Lang (fr)" in objects


def test_a_render_past_its_time_limit_stops():
    rows = "".join(f"<tr><td>{n}</td><td>ligne</td></tr>" for n in range(20000))
    with pytest.raises(PdfTimeout):
        render_pdf(f"<html lang='fr'><body><table>{rows}</table></body></html>", time_limit=0.2)
