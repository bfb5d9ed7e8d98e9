"""The subscriber-code limit holds under parallel look-ups (issue #11, item 3).

Reproduction: 30 wrong codes from one account and one address, 10 at a time in parallel:
9 were checked against the families (limit 5), because the look-up read the failures and
wrote its attempt separately. Now each look-up takes its slot (``portal.throttle``) before
the check. The threads count the check — the query for a family by its code — with a
database execute wrapper, which also waits when SQLite's shared in-memory test database says
a table is locked (the race is in the throttle, not in SQL)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import OperationalError, connection

import pytest

from family.services import SubscriptionError, subscriber_code_lookup
from portal.scoping import scopes_disabled
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "ACDEFGHJKMNP"
LIMIT = 5


def _waiting(execute, *args):
    """SQLite's shared in-memory test database answers « table is locked » at once where a
    database file waits (``busy_timeout``): wait and retry the same way."""
    for _attempt in range(500):
        try:
            return execute(*args)
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.005)
    return execute(*args)


class CheckCounter:
    def __init__(self):
        self.checks = 0
        self._count = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        is_check = "subscriber_code" in sql and sql.lstrip().upper().startswith("SELECT")
        if is_check:
            with self._count:
                self.checks += 1
        result = _waiting(execute, sql, params, many, context)
        if is_check:
            time.sleep(0.02)  # a check takes time: parallel look-ups overlap it
        return result


def _fire(collectivity, attempts, parallel, *, user_for, address_for):
    counter = CheckCounter()
    barrier = threading.Barrier(parallel)

    def one(n):
        if n < parallel:
            barrier.wait(timeout=10)
        with scopes_disabled(), connection.execute_wrapper(counter):
            try:
                subscriber_code_lookup(
                    collectivity=collectivity,
                    code=WRONG,
                    user=user_for(n),
                    ip_address=address_for(n),
                )
            except SubscriptionError as error:
                return error.message
            finally:
                connection.close()
        return "found"

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        messages = list(pool.map(one, range(attempts)))
    return counter.checks, messages


def test_30_wrong_codes_10_in_parallel_from_one_account_check_at_most_5(collectivity_a):
    user = UserFactory()
    checks, messages = _fire(
        collectivity_a, 30, 10, user_for=lambda n: user, address_for=lambda n: "203.0.113.7"
    )
    assert checks <= LIMIT, f"{checks} look-ups reached the check"
    assert checks == LIMIT  # the limit itself still lets 5 through
    assert sum("Trop de tentatives" in message for message in messages) == 30 - checks


def test_30_wrong_codes_10_in_parallel_from_one_address_many_accounts_check_at_most_5(
    collectivity_a,
):
    users = [UserFactory() for _ in range(30)]
    checks, _messages = _fire(
        collectivity_a,
        30,
        10,
        user_for=lambda n: users[n],
        address_for=lambda n: "203.0.113.7",
    )
    assert checks <= LIMIT, f"{checks} look-ups reached the check"
