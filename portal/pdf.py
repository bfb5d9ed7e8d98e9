"""The one module that uses WeasyPrint: HTML in, PDF bytes out.

Templates inline their CSS and set ``font-family`` inside ``@page`` too (margin boxes do not
inherit from ``body``). Nothing is fetched from the network or the disk while rendering:
only ``data:`` URLs are allowed, so a template cannot leak a request or read a local file.
"""

import weasyprint
from weasyprint.urls import URLFetcher


def render_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
