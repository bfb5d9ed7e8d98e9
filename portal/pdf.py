"""The one module that uses WeasyPrint: HTML in, PDF bytes out.

Templates inline their CSS and set ``font-family`` inside ``@page`` too (margin boxes do not
inherit from ``body``). Nothing is fetched from the network or the disk while rendering:
only ``data:`` URLs are allowed, so a template cannot leak a request or read a local file.
The PDF is tagged (``pdf/ua-1``: structure for screen readers, the document's language and
title). A render that takes longer than ``PDF_TIME_LIMIT`` seconds is stopped (``PdfTimeout``)
when it runs in a process's main thread (web workers, task workers); elsewhere it runs unbounded.
"""

import contextlib
import signal
import threading

from django.conf import settings

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

DEFAULT_TIME_LIMIT = 30  # seconds


class PdfTimeout(Exception):
    """The render went past its time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    message = f"PDF rendering took more than {seconds} s."
    state = {"expired": False}

    def expired(signum, frame):
        state["expired"] = True
        # Raised wherever the render is. Python drops an exception raised inside a ``__del__``
        # or a C callback (WeasyPrint's cffi), so the timer fires again shortly, elsewhere.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise PdfTimeout(message)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if state["expired"]:  # every alarm was swallowed: the render still went past its limit
        raise PdfTimeout(message)


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept for the process's life: building one for every
    document cost part of each render and left its native font caches behind each time (the
    resident set grew with every PDF). Documents take their fonts from ``font-family`` only
    (no ``@font-face``), so sharing it changes nothing in the output."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def render_pdf(html: str, *, time_limit: float | None = None) -> bytes:
    """Render an HTML document to tagged PDF bytes, within the time limit."""
    limit = (
        time_limit
        if time_limit is not None
        else getattr(settings, "PDF_TIME_LIMIT", DEFAULT_TIME_LIMIT)
    )
    fetcher = URLFetcher(allowed_protocols={"data"})
    with _time_limit(limit):
        return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
            pdf_variant="pdf/ua-1", font_config=_font_config()
        )
