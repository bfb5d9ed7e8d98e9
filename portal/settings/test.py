"""The test suite: fast hashing, locmem e-mail and cache, synchronous tasks."""

import os
import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
ALLOWED_HOSTS = ["localhost", ".localhost", "testserver", "127.0.0.1"]
_tmp = tempfile.mkdtemp(prefix="portail-test-")
os.makedirs(f"{_tmp}/static", exist_ok=True)
MEDIA_ROOT = f"{_tmp}/media"
STATIC_ROOT = f"{_tmp}/static"
WHITENOISE_USE_FINDERS = True
PRIVATE_MEDIA_ROOT = f"{_tmp}/private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILADMIN_BASE_URL = "http://localhost"
PORTAL_CAPTCHA_ENABLED = False  # tests that check the CAPTCHA turn it on
PORTAL_PAYMENT_SIMULATOR = True
# Every query compiled once (portal.compiled) is compiled again at each call and compared
# with the SQL kept under its key: a key that misses a value its query is built from fails.
COMPILED_QUERIES_CHECK = True
