"""Kept importable for other apps' tests (``tests/planning``, ``tests/e2e``): the creation-form
services now live in ``family.services.creation``."""

from .services.creation import (  # noqa: F401
    CreationError,
    creation_accept,
    creation_cancel,
    creation_draft_get,
    creation_refuse,
    creation_step_save,
    creation_submit,
    enrolment_choices,
)
