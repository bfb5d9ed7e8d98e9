"""The collectivity's look (logo, colour) for places that have no request: e-mails, PDFs.

Branding is content and lives in ``cms_pages`` (a per-site setting), which ``portal`` and
``notifications`` may not import: ``cms_pages`` registers its provider in its
``AppConfig.ready()``. Without one (or without branding set) the portal's defaults apply.
"""

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_COLOUR = "#1f4e8c"


@dataclass(frozen=True)
class Branding:
    colour: str = DEFAULT_COLOUR
    logo_url: str = ""  # absolute, on the collectivity's host
    logo_alt: str = ""


_provider: Callable | None = None


def branding_provider_register(provider: Callable) -> None:
    """``provider(collectivity) -> Branding``."""
    global _provider
    _provider = provider


def branding_for(collectivity) -> Branding:
    if collectivity is None or _provider is None:
        return Branding()
    return _provider(collectivity)
