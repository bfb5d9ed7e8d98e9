"""Kept importable: ``ACCOUNT_FORMS["signup"]`` in ``portal/settings/base.py`` names
``family.signup.SignupForm``; the form lives in ``family.forms.signup``."""

from .forms.signup import SignupForm  # noqa: F401
