"""A hit of the cached planning (planning.grid_cache): the account's families, the entry's
activities and its waiting lists are read in one query; an entry is the account's, and
follows its subscriptions; the stored page is cut at its waiting-list markers."""

import datetime
import re

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from family.models import Subscription
from planning import grid_cache
from planning.models import Activity, Booking
from tests.planning import test_planning_cache as cached
from tests.planning.factories import BookingFactory, ChildFactory, EnrolmentFactory
from tests.planning.test_planning_cache import DECEMBER, cell, read
from tests.portal.factories import FamilyFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

State = Booking.State
world, _now = cached.world, cached._now  # the same families, at the same instant


def hit_queries(client, parent) -> list[str]:
    """The SQL of a planning read served from the cache (read once before)."""
    read(client, parent)
    client.force_login(parent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("planning:index"), {"vue": "mois", "date": DECEMBER})
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_waiting_list_costs_no_query_of_its_own_on_a_hit(client_a, world):
    """Léa waits on a canteen day, Tom waits on nothing: both hits run as many queries, the
    positions being the second half of the activities' query."""
    slot = world["canteen_slots"][datetime.date(2026, 12, 10)]
    BookingFactory(child=world["lea"], slot=slot, state=State.WAITING)
    with_waiting = hit_queries(client_a, world["martin_parent"])
    without = hit_queries(client_a, world["petit_parent"])
    assert len(with_waiting) == len(without), "\n".join(with_waiting)
    union = [sql for sql in with_waiting if "UNION ALL" in sql]
    assert len(union) == 1 and '"planning_booking"' in union[0], with_waiting
    # The families, the activities and the waiting list are that one query: nothing else
    # reads them.
    assert [sql for sql in with_waiting if '"family_family"' in sql] == union, with_waiting
    assert [sql for sql in with_waiting if '"planning_activity"' in sql] == union, with_waiting
    page, computed = read(client_a, world["martin_parent"])
    assert not computed
    assert "En liste d’attente (position 1)" in cell(page, slot, world["lea"])


def test_the_activity_version_half_still_refuses_a_changed_activity(client_a, world):
    """The union's first half is the freshness check: an activity bumped behind the cache's
    back (its version raised) makes the next read compute the grid again."""
    slot = world["canteen_slots"][datetime.date(2026, 12, 10)]
    BookingFactory(child=world["lea"], slot=slot, state=State.WAITING)
    read(client_a, world["martin_parent"])
    _page, computed = read(client_a, world["martin_parent"])
    assert not computed
    Activity.objects.filter(pk=world["canteen"].pk).update(planning_version=99)
    _page, computed = read(client_a, world["martin_parent"])
    assert computed


def test_a_stored_page_is_cut_at_its_markers_and_joined_back_the_same():
    html = (
        f"<li>{grid_cache.waiting_mark(7)}</li><li>{grid_cache.waiting_mark(9)}</li>"
        f"<p>{grid_cache.waiting_mark(7)}</p>"
    )
    positions = {7: 2, 9: None}
    stored = grid_cache._MARK.split(html)
    assert stored[1::2] == ["7", "9", "7"]
    assert grid_cache.with_positions(stored, positions) == grid_cache.with_positions(
        html, positions
    )
    assert grid_cache.with_positions(html, positions) == (
        "<li>En liste d’attente (position 2)</li><li>En liste d’attente</li>"
        "<p>En liste d’attente (position 2)</p>"
    )


def test_a_subscription_ended_after_caching_leaves_the_no_family_page(client_a, world):
    """The entry is the account's: once Martin's parent is no longer subscribed to the family,
    the cached grid is not shown (its families are not the account's any more)."""
    read(client_a, world["martin_parent"])
    _page, computed = read(client_a, world["martin_parent"])
    assert not computed
    Subscription.objects.filter(user=world["martin_parent"]).delete()
    client_a.force_login(world["martin_parent"])
    response = client_a.get(reverse("planning:index"), {"vue": "mois", "date": DECEMBER})
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "family/no_family.html"
    assert "Léa" not in response.content.decode()


def test_a_family_subscribed_after_caching_is_shown_at_once(client_a, world, collectivity_a):
    """A second family joins the account (a code abonné activated): the next read computes
    the grid again, with that family's child; the other account's entry is untouched."""
    read(client_a, world["martin_parent"])
    read(client_a, world["petit_parent"])
    second = FamilyFactory(collectivity=collectivity_a, name="Martin-Durand")
    sam = ChildFactory(family=second, first_name="Sam")
    EnrolmentFactory(child=sam, activity=world["canteen"])
    SubscriptionFactory(user=world["martin_parent"], family=second)
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert "Sam" in page and "Léa" in page
    page, computed = read(client_a, world["petit_parent"])
    assert not computed
    assert "Sam" not in page


def _stale_miss(client_a, world, *, roster: bool):
    """(the queries of a December month computed with no entry, those of the same month
    computed again after a booking of Léa and a write of the family, that page, the page
    computed from scratch, the slot booked)."""
    from django.db import transaction

    from planning.versions import bump

    client_a.force_login(world["martin_parent"])
    url, params = reverse("planning:index"), {"vue": "mois", "date": DECEMBER}
    client_a.get(url, params)  # December stored (and the site's first-time reads done)
    with CaptureQueriesContext(connection) as first:
        # The same month filtered on Léa and the canteen (all there is): no entry yet.
        filtered = {"filtre": "1", "enfant": world["lea"].pk, "activite": world["canteen"].pk}
        client_a.get(url, {**params, **filtered})
    slot = world["canteen_slots"][datetime.date(2026, 12, 3)]
    BookingFactory(child=world["lea"], slot=slot, state=State.RESERVED)
    with transaction.atomic():
        bump(family_ids=[world["martin"].pk], roster=roster)
    with CaptureQueriesContext(connection) as stale:
        response = client_a.get(url, params)
    assert response.status_code == 200
    # Read now: the next request empties the connection's query log.
    first, stale = [q["sql"] for q in first.captured_queries], [q["sql"] for q in stale]
    cache.clear()
    fresh = client_a.get(url, params)
    return first, stale, masked(response), masked(fresh), slot


def masked(response) -> str:
    """The page without its CSRF token and CSP nonce (new at each request)."""
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"', "", response.content.decode()
    )


def test_a_stale_entry_costs_its_miss_no_more_queries_than_no_entry(client_a, world):
    """After a write of the family's roster (a child, an enrolment) the stored entry is
    stale: its check has read the account's families, and the grid computed then does not
    read them again."""
    first, stale, page, fresh, _slot = _stale_miss(client_a, world, roster=True)
    versions = '"family_family"."planning_version"'
    families = [sql for sql in stale if versions in sql]
    assert len(families) == 1 and "UNION ALL" in families[0], families
    assert len(stale) == len(first), "\n".join(stale)
    assert page == fresh


def test_after_a_write_of_bookings_only_the_miss_keeps_the_roster_and_reads_the_bookings(
    client_a, world
):
    """After a booking (no child, enrolment or activity written), the stale entry's
    children, activities and slots still hold: the miss reads only the bookings, three
    queries fewer, and shows the page computed from scratch, the new booking on it."""
    first, stale, page, fresh, slot = _stale_miss(client_a, world, roster=False)
    assert len(stale) == len(first) - 3, "\n".join(stale)
    assert not any('FROM "family_child"' in sql for sql in stale)
    assert not any('FROM "planning_enrolment"' in sql for sql in stale)
    assert any('FROM "planning_booking"' in sql for sql in stale)
    assert page == fresh
    assert "state--reserved" in cell(page, slot, world["lea"])


def test_a_familys_new_name_orders_its_children_again(client_a, world, collectivity_a):
    """A family's name orders the children of an account with several families: renaming it
    writes the roster, and the miss after it reads the children again."""
    second = FamilyFactory(collectivity=collectivity_a, name="Zola")
    sam = ChildFactory(family=second, first_name="Sam")
    EnrolmentFactory(child=sam, activity=world["canteen"])
    SubscriptionFactory(user=world["martin_parent"], family=second)
    lea, sam_id = f'id="filtre-enfant-{world["lea"].pk}"', f'id="filtre-enfant-{sam.pk}"'
    page, _computed = read(client_a, world["martin_parent"])
    assert page.index(lea) < page.index(sam_id)
    second.name = "Abel"
    second.save()
    page, computed = read(client_a, world["martin_parent"])
    assert computed
    assert page.index(sam_id) < page.index(lea)
