"""``portal.compiled``: querysets compiled once, run with each call's ids, on SQLite and on
PostgreSQL (CI runs this file on both)."""

import functools

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

import pytest

from family.models import Family
from portal import compiled
from portal.compiled import compiled_rows
from portal.scoping import Scope, tenant_scope
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    compiled._compiled.clear()
    yield
    compiled._compiled.clear()


def test_any_of_reaches_the_rows_of_in(collectivity_a):
    families = [FamilyFactory(collectivity=collectivity_a) for _ in range(4)]
    ids = [family.pk for family in families]
    for wanted in ([], ids[:1], ids[1:3], ids, [*ids, 10**9]):
        got = Family.objects.filter(pk__any_of=wanted).order_by("pk")
        assert list(got) == list(Family.objects.filter(pk__in=wanted).order_by("pk"))
    # A foreign key too (its lookups are its own).
    assert set(
        Family.objects.filter(collectivity_id__any_of=[collectivity_a.pk]).values_list(
            "pk", flat=True
        )
    ) == set(ids)


def _names_query(*, scope, family_ids):
    return (
        scope.rows(Family)
        .filter(pk__any_of=family_ids)
        .order_by("pk")
        .values_list("pk", "name", "created_at")
    )


def test_each_call_runs_with_its_own_ids_and_rows_are_converted(collectivity_a):
    one, two, three = (FamilyFactory(collectivity=collectivity_a) for _ in range(3))
    scope = Scope(user=None, collectivity=collectivity_a)
    build = functools.partial(_names_query, scope=scope)
    key = ("test.names", collectivity_a.pk)
    assert compiled_rows(key, build, family_ids=[one.pk, three.pk]) == [
        (one.pk, one.name, one.created_at),
        (three.pk, three.name, three.created_at),
    ]
    # The kept SQL, run with other ids (none, then another one): never the first call's rows.
    assert compiled_rows(key, build, family_ids=[]) == []
    assert compiled_rows(key, build, family_ids=[two.pk]) == [(two.pk, two.name, two.created_at)]


@override_settings(COMPILED_QUERIES_CHECK=False)
def test_the_sql_is_compiled_once_and_counted_as_a_query(collectivity_a, monkeypatch):
    one, two = (
        FamilyFactory(collectivity=collectivity_a),
        FamilyFactory(collectivity=collectivity_a),
    )
    scope = Scope(user=None, collectivity=collectivity_a)
    compilations = []
    original = compiled._compile

    def counted(*args):
        compilations.append(args)
        return original(*args)

    monkeypatch.setattr(compiled, "_compile", counted)
    key = ("test.names", collectivity_a.pk)
    for family in (one, two, one):
        with CaptureQueriesContext(connection) as queries:
            rows = compiled_rows(
                key, functools.partial(_names_query, scope=scope), family_ids=[family.pk]
            )
        assert [pk for pk, _name, _created in rows] == [family.pk]
        assert len(queries) == 1
    assert len(compilations) == 1


def test_a_key_without_a_value_its_query_is_built_from_is_refused(collectivity_a, collectivity_b):
    """The test settings compile again at each call (``COMPILED_QUERIES_CHECK``): a key that
    forgets the collectivity, which the scope writes into the SQL, fails instead of giving
    collectivity B the SQL kept for A."""
    mine = FamilyFactory(collectivity=collectivity_a)
    FamilyFactory(collectivity=collectivity_b)
    key = ("test.names-without-collectivity",)
    for collectivity in (collectivity_a,):
        scope = Scope(user=None, collectivity=collectivity)
        assert compiled_rows(
            key, functools.partial(_names_query, scope=scope), family_ids=[mine.pk]
        ) == [(mine.pk, mine.name, mine.created_at)]
    scope_b = Scope(user=None, collectivity=collectivity_b)
    with pytest.raises(ImproperlyConfigured):
        compiled_rows(key, functools.partial(_names_query, scope=scope_b), family_ids=[mine.pk])


def test_two_collectivities_in_turns_each_reach_their_own_rows_only(collectivity_a, collectivity_b):
    """Inside each host's scope, as in a request: A's family asked for from B's scope (the
    forbidden row exists) is not found, and the other way round, twice in turns."""
    family_a = FamilyFactory(collectivity=collectivity_a)
    family_b = FamilyFactory(collectivity=collectivity_b)
    both = [family_a.pk, family_b.pk]
    for _round in range(2):
        for collectivity, own in ((collectivity_a, family_a), (collectivity_b, family_b)):
            with tenant_scope(collectivity):
                scope = Scope(user=None, collectivity=collectivity)
                rows = compiled_rows(
                    ("test.names", collectivity.pk),
                    functools.partial(_names_query, scope=scope),
                    family_ids=both,
                )
            assert [pk for pk, _name, _created in rows] == [own.pk]


def test_scope_rows_filters_once_in_its_own_scope_and_still_filters_elsewhere(
    collectivity_a, collectivity_b
):
    """``Scope.rows`` does not add the collectivity's filter a second time where the default
    manager already holds it (the request's scope is that collectivity's), and adds it in
    every other case."""
    family_a = FamilyFactory(collectivity=collectivity_a)
    family_b = FamilyFactory(collectivity=collectivity_b)
    scope_a = Scope(user=None, collectivity=collectivity_a)
    with tenant_scope(collectivity_a):
        rows = scope_a.rows(Family)
        assert list(rows) == [family_a]
        assert str(rows.query).split("WHERE", 1)[1].count("collectivity_id") == 1
    with tenant_scope(collectivity_b):  # another collectivity's scope: both filters, no row
        assert list(scope_a.rows(Family)) == []
    # Scopes disabled (tests, tasks spanning the deployment): the scope's filter only.
    assert list(scope_a.rows(Family)) == [family_a]
    assert list(scope_a.rows(Family.objects.all())) == [family_a]
    assert family_b not in scope_a.rows(Family)
