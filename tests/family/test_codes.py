from django.utils import timezone

import pytest

from family.models import CodeAttempt, Family, Subscription
from family.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    SubscriptionError,
    family_code_regenerate,
    family_code_revoke,
    signup_code_record,
    signup_codes_apply,
    subscriber_code_lookup,
    subscription_create,
)
from notifications.models import TimelineEvent
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_codes_are_long_random_and_without_look_alikes(collectivity_a):
    codes = set()
    for _ in range(30):
        family = FamilyFactory(collectivity=collectivity_a)
        codes.add(family_code_regenerate(family=family))
    assert len(codes) == 30
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
    assert not set("0O1IL5S2Z8BU") & set(CODE_ALPHABET)


def test_lookup_accepts_spaces_and_lower_case(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    code = family_code_regenerate(family=family)
    typed = " ".join([code[:4], code[4:8].lower(), code[8:]])
    assert subscriber_code_lookup(collectivity=collectivity_a, code=typed) == family


def test_code_is_valid_only_in_its_collectivity(collectivity_a, collectivity_b):
    other = FamilyFactory(collectivity=collectivity_b)
    code = family_code_regenerate(family=other)
    with pytest.raises(SubscriptionError) as error:
        subscriber_code_lookup(collectivity=collectivity_a, code=code)
    assert "n’est pas reconnu" in str(error.value)
    assert CodeAttempt.objects.filter(collectivity=collectivity_a, success=False).count() == 1


def test_sixth_failed_lookup_is_refused_even_with_the_right_code(collectivity_a):
    user = UserFactory()
    family = FamilyFactory(collectivity=collectivity_a)
    code = family_code_regenerate(family=family)
    for _ in range(5):
        with pytest.raises(SubscriptionError):
            subscriber_code_lookup(collectivity=collectivity_a, code="AAAAAAAAAAAA", user=user)
    with pytest.raises(SubscriptionError) as error:
        subscriber_code_lookup(collectivity=collectivity_a, code=code, user=user)
    assert "Trop de tentatives" in str(error.value)
    # Another address and another account are not blocked.
    assert (
        subscriber_code_lookup(collectivity=collectivity_a, code=code, ip_address="10.0.0.9")
        == family
    )
    assert CodeAttempt.objects.count() == 7


def test_failures_per_address_are_throttled_too(collectivity_a, time_machine):
    time_machine.move_to(timezone.now())
    for _ in range(5):
        with pytest.raises(SubscriptionError):
            subscriber_code_lookup(collectivity=collectivity_a, code="X", ip_address="192.0.2.1")
    with pytest.raises(SubscriptionError, match="Trop de tentatives"):
        subscriber_code_lookup(collectivity=collectivity_a, code="X", ip_address="192.0.2.1")
    time_machine.shift(16 * 60)
    with pytest.raises(SubscriptionError, match="n’est pas reconnu"):
        subscriber_code_lookup(collectivity=collectivity_a, code="X", ip_address="192.0.2.1")


def test_regenerate_and_revoke_stop_the_old_code(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    old = family_code_regenerate(family=family)
    new = family_code_regenerate(family=family)
    assert old != new
    with pytest.raises(SubscriptionError):
        subscriber_code_lookup(collectivity=collectivity_a, code=old)
    family_code_revoke(family=family)
    with pytest.raises(SubscriptionError):
        subscriber_code_lookup(collectivity=collectivity_a, code=new)
    assert Family.objects.get(pk=family.pk).subscriber_code is None
    verbs = list(TimelineEvent.objects.filter(family_id=family.pk).values_list("verb", flat=True))
    assert sorted(verbs) == ["code_generated", "code_regenerated", "code_revoked"]


def test_masked_name():
    assert Family(name="Dupont").masked_name == "Famille D•••••"
    assert Family(name="Lefèvre-Martin").masked_name.startswith("Famille L")


def test_subscription_is_idempotent_and_shared_by_two_guardians(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    first, second = UserFactory(), UserFactory()
    subscription_create(user=first, family=family)
    subscription_create(user=first, family=family)
    subscription_create(user=second, family=family)
    assert Subscription.objects.filter(family=family).count() == 2


def test_signup_code_applies_on_confirmation(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    user = UserFactory()
    signup_code_record(user=user, family=family)
    assert not Subscription.objects.exists()
    assert [s.family for s in signup_codes_apply(user=user)] == [family]
    assert signup_codes_apply(user=user) == []
