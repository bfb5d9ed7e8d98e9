"""An authentication backend that counts the password checks it sees (the settings of a test
put it first). It sleeps a little, as a real password hash does, so that parallel requests
overlap while one is being checked; it never authenticates anyone."""

import threading
import time


class CountingBackend:
    calls = 0
    _lock = threading.Lock()
    delay = 0.05  # seconds

    def authenticate(self, request, **credentials):
        with CountingBackend._lock:
            CountingBackend.calls += 1
        time.sleep(CountingBackend.delay)
        return None

    def get_user(self, user_id):
        return None
