"""The embedded default's cache: Django's file cache with an atomic ``add``.

Django's ``FileBasedCache.add`` is "has_key, then set": two threads of ``runserver`` (or two
gunicorn workers on the machine) can both see the key missing and both "add" it. The
throttles (``portal.throttle``), allauth's rate-limit lock and the CAPTCHA's single-use
tokens all rely on ``add`` succeeding once, so here it runs under an exclusive lock on a file
of the cache folder (not a ``.djcache`` file, so ``clear`` and culling leave it alone).
Redis (``REDIS_URL``) needs none of this: its ``add`` is ``SET NX``.
"""

import os

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache
from django.core.files import locks


class FileBasedCache(DjangoFileBasedCache):
    lock_name = "add.lock"

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._createdir()
        with open(os.path.join(self._dir, self.lock_name), "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                return super().add(key, value, timeout, version)
            finally:
                locks.unlock(lock_file)
