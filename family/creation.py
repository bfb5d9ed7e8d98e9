"""Kept importable for other apps' tests (``tests/planning``, ``tests/e2e``): the creation-form
services now live in ``family.services.creation``."""

from .services.creation import *  # noqa: F403
