"""Kept importable for other apps' tests (``tests/e2e``): the dossier change-request services
now live in ``family.services.changes``."""

from .services.changes import *  # noqa: F403
