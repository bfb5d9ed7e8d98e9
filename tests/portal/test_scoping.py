from django.core.exceptions import PermissionDenied

import pytest

from family.models import Family, Subscription
from portal.models import Membership
from portal.scoping import Scope
from portal.services import membership_grant
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_parent_scope_reaches_only_own_families_in_this_collectivity(
    collectivity_a, collectivity_b
):
    parent = UserFactory()
    own = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    other_family_here = FamilyFactory(collectivity=collectivity_a, name="Martin")
    own_elsewhere = FamilyFactory(collectivity=collectivity_b, name="Dupont-B")
    SubscriptionFactory(user=parent, family=own)
    SubscriptionFactory(user=parent, family=own_elsewhere)
    SubscriptionFactory(family=other_family_here)

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
