"""Throttles hold under parallel requests (issue #11, item 3): each attempt takes its slot
before the password is checked, so 20 guesses arriving together cannot all be checked.

Reproduction: 50 wrong admin passwords, 20 at a time in parallel threads, were all checked
against the password database (20 checks, limit 5) because the throttle looked without
consuming and counted only after the check. The threads share the test's local-memory cache
(atomic ``add`` within a process, as Redis is across processes)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.test import Client

import pytest

from portal.scoping import scopes_disabled
from tests.accounts.counting_backend import CountingBackend
from tests.conftest import HOST_A

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 50
PARALLEL = 20
LIMIT = 5


@pytest.fixture
def counting(settings):
    settings.AUTHENTICATION_BACKENDS = [
        "tests.accounts.counting_backend.CountingBackend",
        *settings.AUTHENTICATION_BACKENDS,
    ]
    CountingBackend.calls = 0
    yield CountingBackend
    CountingBackend.calls = 0


def _warm_up():
    """Render both log-in pages once, so the per-site settings rows exist before the threads
    read them (SQLite's shared in-memory database locks a table being written)."""
    client = Client(HTTP_HOST=HOST_A)
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/compte/connexion/").status_code == 200


def _fire(post, attempts=ATTEMPTS, parallel=PARALLEL) -> list[int]:
    _warm_up()
    barrier = threading.Barrier(parallel)

    def one(n):
        if n < parallel:
            barrier.wait(timeout=10)
        with scopes_disabled():
            return post(n)

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, range(attempts)))


def test_50_wrong_admin_passwords_20_in_parallel_check_at_most_5(collectivity_a, counting):
    """50 wrong passwords for one agent, 20 at a time: before, 20 reached the password check."""

    def post(_n):
        return (
            Client(HTTP_HOST=HOST_A)
            .post("/admin/login/", {"username": "agent@example.test", "password": "faux"})
            .status_code
        )

    statuses = _fire(post)
    assert counting.calls <= LIMIT, f"{counting.calls} attempts reached the password check"
    assert counting.calls == LIMIT  # the limit itself still lets 5 through
    assert statuses.count(429) == ATTEMPTS - LIMIT


def test_50_wrong_admin_passwords_for_50_e_mails_from_one_address_check_at_most_5(
    collectivity_a, counting
):
    def post(n):
        return (
            Client(HTTP_HOST=HOST_A)
            .post("/admin/login/", {"username": f"agent{n}@example.test", "password": "faux"})
            .status_code
        )

    _fire(post)
    assert counting.calls <= LIMIT


def test_50_wrong_parent_passwords_20_in_parallel_check_at_most_5(collectivity_a, counting):
    """allauth's own log-in (``/compte/connexion/``) consumes its slot before the check, under
    a cache lock taken with ``cache.add``: it holds too."""

    def post(_n):
        return (
            Client(HTTP_HOST=HOST_A)
            .post("/compte/connexion/", {"login": "parent@example.test", "password": "faux"})
            .status_code
        )

    _fire(post)
    assert counting.calls <= LIMIT, f"{counting.calls} attempts reached the password check"
