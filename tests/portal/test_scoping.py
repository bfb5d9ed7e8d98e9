from django.core.exceptions import PermissionDenied

import pytest

from family.models import Family, Subscription
from portal.models import Membership
from portal.scoping import Scope
from portal.services import membership_grant
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(collectivity_a, collectivity_b):
    """(parent, own family in A, another family in A, the parent's own family in B)."""
    parent = UserFactory()
    own = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    other_family_here = FamilyFactory(collectivity=collectivity_a, name="Martin")
    own_elsewhere = FamilyFactory(collectivity=collectivity_b, name="Dupont-B")
    SubscriptionFactory(user=parent, family=own)
    SubscriptionFactory(user=parent, family=own_elsewhere)
    SubscriptionFactory(family=other_family_here)
    return parent, own, other_family_here, own_elsewhere


def test_parent_scope_reaches_only_own_families_in_this_collectivity(
    collectivity_a, collectivity_b, account
):
    parent, own, _other_family_here, own_elsewhere = account
    scope_a = Scope(user=parent, collectivity=collectivity_a)
    assert list(scope_a.parent(Family)) == [own]
    assert list(scope_a.parent(Subscription).values_list("family", flat=True)) == [own.pk]
    scope_b = Scope(user=parent, collectivity=collectivity_b)
    assert list(scope_b.parent(Family)) == [own_elsewhere]


def test_agent_scope_is_limited_to_members_and_their_collectivity(
    collectivity_a, collectivity_b, agent_a
):
    mine = FamilyFactory(collectivity=collectivity_a)
    FamilyFactory(collectivity=collectivity_b)
    assert list(Scope(user=agent_a, collectivity=collectivity_a).agent(Family)) == [mine]
    with pytest.raises(PermissionDenied):
        Scope(user=agent_a, collectivity=collectivity_b).agent(Family)


def test_an_editor_is_not_an_agent(collectivity_a, editor_a):
    with pytest.raises(PermissionDenied):
        Scope(user=editor_a, collectivity=collectivity_a).agent(Family)


def test_anonymous_parent_scope_is_empty(collectivity_a):
    from django.contrib.auth.models import AnonymousUser

    FamilyFactory(collectivity=collectivity_a)
    assert not Scope(user=AnonymousUser(), collectivity=collectivity_a).parent(Family).exists()


def test_membership_grant_is_idempotent_and_sets_groups(collectivity_a):
    user = UserFactory()
    membership_grant(user=user, collectivity=collectivity_a, role=Membership.Role.AGENT)
    membership_grant(user=user, collectivity=collectivity_a, role=Membership.Role.AGENT)
    assert Membership.objects.filter(user=user).count() == 1
    assert user.groups.filter(pk=collectivity_a.agents_group_id).exists()


def test_health_data_need_the_dedicated_role_in_this_collectivity(
    collectivity_a, collectivity_b, agent_a
):
    assert not Scope(user=agent_a, collectivity=collectivity_a).can_view_health_data
    membership_grant(user=agent_a, collectivity=collectivity_b, role=Membership.Role.HEALTH)
    assert not Scope(user=agent_a, collectivity=collectivity_a).can_view_health_data
    assert not Scope(user=agent_a, collectivity=collectivity_b).can_view_health_data  # not agent
    membership_grant(user=agent_a, collectivity=collectivity_a, role=Membership.Role.HEALTH)
    assert Scope(user=agent_a, collectivity=collectivity_a).can_view_health_data


# --- fail closed (django-scopes) -------------------------------------------------------------


def test_an_unscoped_query_on_a_tenant_model_raises(collectivity_a):
    """Reproduction: ``Family.objects.filter(...)`` used to reach every collectivity."""
    from portal.scoping import ScopeError, scope

    FamilyFactory(collectivity=collectivity_a)
    with scope():  # what a worker, a command or a thread has before it opens its own
        with pytest.raises(ScopeError):
            list(Family.objects.all())
        with pytest.raises(ScopeError):
            Family.objects.filter(name="Dupont").exists()
        with pytest.raises(ScopeError):
            Family.objects.get(pk=1)
        with pytest.raises(ScopeError):
            Subscription.objects.select_related("family").count()
        # Building a queryset is allowed (class-level form fields), reading it is not.
        assert Family.objects.none().count() == 0


def test_inside_a_collectivity_scope_tenant_queries_are_limited_to_it(
    collectivity_a, collectivity_b
):
    from portal.scoping import tenant_scope

    mine = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    other = FamilyFactory(collectivity=collectivity_b, name="Dupont")
    with tenant_scope(collectivity_a):
        assert list(Family.objects.filter(name="Dupont")) == [mine]
        assert not Family.objects.filter(pk=other.pk).exists()
    with tenant_scope(collectivity_b):
        assert list(Family.objects.all()) == [other]


def test_a_request_runs_inside_its_hosts_scope(client_a, collectivity_a, collectivity_b):
    """The middleware opens the scope: a view that forgot every filter still sees only its
    collectivity's rows (here through the family space, which lists the account's families)."""
    parent = UserFactory()
    own = FamilyFactory(collectivity=collectivity_a, name="Famille-Alpha")
    elsewhere = FamilyFactory(collectivity=collectivity_b, name="Famille-Beta")
    SubscriptionFactory(user=parent, family=own)
    SubscriptionFactory(user=parent, family=elsewhere)
    client_a.force_login(parent)
    page = client_a.get("/famille/").content.decode()
    assert "Famille-Alpha" in page
    assert "Famille-Beta" not in page


def test_scope_rows_are_this_collectivitys_own(collectivity_a, collectivity_b):
    from django.contrib.auth.models import AnonymousUser

    mine = FamilyFactory(collectivity=collectivity_a)
    FamilyFactory(collectivity=collectivity_b)
    assert list(Scope(user=AnonymousUser(), collectivity=collectivity_a).rows(Family)) == [mine]


def test_scope_family_is_chosen_among_the_accounts_families_only(
    rf, collectivity_a, collectivity_b
):
    from django.http import Http404

    parent = UserFactory()
    first = FamilyFactory(collectivity=collectivity_a, name="Arnaud")
    second = FamilyFactory(collectivity=collectivity_a, name="Bernard")
    not_mine = FamilyFactory(collectivity=collectivity_a, name="Aaron")
    elsewhere = FamilyFactory(collectivity=collectivity_b, name="Abel")
    for family in (first, second, elsewhere):
        SubscriptionFactory(user=parent, family=family)

    def family_for(query):
        request = rf.get("/", query)
        return Scope(user=parent, collectivity=collectivity_a, request=request).family

    assert family_for({}) == first
    assert family_for({"famille": second.pk}) == second
    for forbidden in (not_mine.pk, elsewhere.pk, "x"):
        with pytest.raises(Http404):
            family_for({"famille": forbidden})


def test_each_collectivitys_scoped_queryset_is_built_once_and_never_shared_as_results(
    collectivity_a, collectivity_b
):
    """The scope's filter is built once per model and collectivity (``_scoped_bases``); every
    query copies it, so what one query adds or reads never reaches the next one."""
    from planning.models import Booking
    from portal.scoping import _scoped_bases, tenant_scope
    from tests.planning.factories import ActivityFactory, ChildFactory, SlotFactory

    mine = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    other = FamilyFactory(collectivity=collectivity_b, name="Dupont")
    slot_a = SlotFactory(activity=ActivityFactory(collectivity=collectivity_a))
    slot_b = SlotFactory(activity=ActivityFactory(collectivity=collectivity_b))
    booking_a = Booking.objects.create(child=ChildFactory(family=mine), slot=slot_a)
    booking_b = Booking.objects.create(child=ChildFactory(family=other), slot=slot_b)
    _scoped_bases.clear()
    for _round in range(2):  # the second round uses the bases the first one built
        with tenant_scope(collectivity_a):
            assert list(Family.objects.filter(name="Dupont")) == [mine]
            assert list(Booking.objects.all()) == [booking_a]  # through slot and activity
            assert not Booking.objects.filter(pk=booking_b.pk).exists()
            assert list(Family.objects.all()) == [mine]  # the filter above did not stick
        with tenant_scope(collectivity_b):
            assert list(Family.objects.all()) == [other]
            assert list(Booking.objects.select_for_update().filter(slot=slot_b)) == [booking_b]
            assert not Family.objects.filter(pk=mine.pk).exists()
    assert {(model, pk) for model, _db, pk in _scoped_bases} >= {
        (Family, collectivity_a.pk),
        (Family, collectivity_b.pk),
        (Booking, collectivity_a.pk),
        (Booking, collectivity_b.pk),
    }
    assert all(base._result_cache is None for base in _scoped_bases.values())


def test_parent_scope_on_family_ids_reaches_the_same_rows_only(collectivity_a, account):
    """Once ``family_ids`` is read (``family_required`` does), ``parent`` filters on the ids:
    another family here and the account's own family elsewhere stay out of reach."""
    from family.models import Child
    from tests.planning.factories import ChildFactory

    parent, own, other_family_here, own_elsewhere = account
    mine = ChildFactory(family=own)
    ChildFactory(family=other_family_here)
    ChildFactory(family=own_elsewhere)

    scope_a = Scope(user=parent, collectivity=collectivity_a)
    assert scope_a.family_ids == [own.pk]
    assert list(scope_a.parent(Child)) == [mine]
    assert list(scope_a.parent(Family)) == [own]
    assert "SELECT" not in str(scope_a.parent(Child).query).split("WHERE", 1)[1]
    stranger = Scope(user=UserFactory(), collectivity=collectivity_a)
    assert stranger.family_ids == []
    assert list(stranger.parent(Child)) == []
