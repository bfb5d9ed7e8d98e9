"""Local development and `make demo`: e-mails printed on the console.

``DEBUG`` stays off unless ``DEBUG=true`` is set, so a parent trying the demo sees the
portal's French error pages, never Django's debug page."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"  # noqa: F405
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
PORTAL_PAYMENT_SIMULATOR = env_bool("PORTAL_PAYMENT_SIMULATOR", True)
