"""Transitional: ``portal/settings/base.py`` still names
``FAMILY_CREATION_ENROLMENT_CHOICES = "planning.enrolments.creation_choices"``. The function
lives in ``planning.services`` (``planning.services.creation_choices``); delete this module
once the family app's registry (filled from ``planning/apps.py``) replaces that setting."""

from .services import creation_choices

__all__ = ["creation_choices"]
