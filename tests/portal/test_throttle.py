"""``portal.throttle`` and the embedded file cache it relies on (issue #11, item 3)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.cache import FileBasedCache
from portal.throttle import Rate, throttle_clear, throttle_release, throttle_take

RATE = Rate(limit=3, period=60)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_a_subject_gets_its_limit_then_none():
    taken = [throttle_take("t", subjects=["a"], rate=RATE) for _ in range(4)]
    assert [slots is not None for slots in taken] == [True, True, True, False]
    assert throttle_take("t", subjects=["b"], rate=RATE) is not None  # another subject


def test_a_refused_attempt_holds_nothing():
    """The e-mail has slots left but the address has none: the e-mail's slot is given back."""
    for _ in range(3):
        throttle_take("t", subjects=["ip", f"e{_}"], rate=RATE)
    assert throttle_take("t", subjects=["ip", "email"], rate=RATE) is None
    for _ in range(3):
        assert throttle_take("t", subjects=["email"], rate=RATE) is not None


def test_release_and_clear_give_slots_back():
    slots = [throttle_take("t", subjects=["a"], rate=RATE) for _ in range(3)]
    throttle_release(slots[0])
    assert throttle_take("t", subjects=["a"], rate=RATE) is not None
    throttle_clear("t", subjects=["a"], rate=RATE)
    assert all(throttle_take("t", subjects=["a"], rate=RATE) for _ in range(3))


def test_slots_expire_after_the_period(time_machine):
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(3):
        throttle_take("t", subjects=["a"], rate=RATE)
    assert throttle_take("t", subjects=["a"], rate=RATE) is None
    time_machine.shift(61)
    assert throttle_take("t", subjects=["a"], rate=RATE) is not None


def test_100_threads_taking_slots_of_one_subject_get_exactly_the_limit():
    barrier = threading.Barrier(100)

    def take(_n):
        barrier.wait(timeout=10)
        return throttle_take("race", subjects=["a"], rate=Rate(limit=5, period=60))

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(take, range(100)))
    assert sum(slots is not None for slots in results) == 5


def test_file_cache_add_succeeds_once_under_parallel_threads(tmp_path):
    """Django's ``FileBasedCache.add`` is "has_key, then set": parallel threads of
    ``runserver`` could all add the same key. The embedded default's cache adds under a
    file lock: 20 threads adding each of 30 keys → each key added once."""
    cache = FileBasedCache(str(tmp_path), {})
    barrier = threading.Barrier(20)

    def add_all(_n):
        barrier.wait(timeout=10)
        return sum(cache.add(f"k{key}", 1, timeout=60) for key in range(30))

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert sum(pool.map(add_all, range(20))) == 30


def test_file_cache_reads_back_what_it_wrote_at_its_fast_level(tmp_path):
    """The embedded default's cache compresses at zlib's fastest level (``compress_level``);
    an entry reads back whole, expires, and ``touch`` rewrites it readable."""
    cache = FileBasedCache(str(tmp_path), {})
    page = '<li class="slot">Léa — Cantine</li>\n' * 5000
    cache.set("grid", {"html": page}, timeout=60)
    assert cache.get("grid") == {"html": page}
    assert cache.touch("grid", timeout=60)
    assert cache.get("grid") == {"html": page}
    cache.set("gone", 1, timeout=-1)
    assert cache.get("gone") is None
