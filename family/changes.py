"""Kept importable for other apps' tests (``tests/e2e``): the dossier change-request services
now live in ``family.services.changes``."""

from .services.changes import (  # noqa: F401
    DossierError,
    change_request_accept,
    change_request_cancel,
    change_request_refuse,
    change_request_submit,
)
