"""The agents' back office: families, accounts and subscriptions, codes (Wagtail admin)."""

from django.urls import reverse

import pytest

from family.models import Guardian, Subscription
from family.services import (
    SubscriptionError,
    family_code_regenerate,
    subscriber_code_lookup,
    subscription_create,
)
from notifications.models import TimelineEvent
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/family/family/"


@pytest.fixture
def family_a(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, first_name="Claire", last_name="Dupont")
    family_code_regenerate(family=family)
    family.refresh_from_db()
    return family


@pytest.fixture
def family_b(collectivity_b):
    family = FamilyFactory(collectivity=collectivity_b, name="Bêtafamille")
    family_code_regenerate(family=family)
    family.refresh_from_db()
    return family


@pytest.fixture
def agent_client(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def b_urls(family_b):
    subscription = SubscriptionFactory(family=family_b)
    return [
        reverse("family_admin:detail", args=[family_b.pk]),
        reverse("family_admin:subscription_unlink", args=[family_b.pk, subscription.pk]),
        reverse("family_admin:code_revoke", args=[family_b.pk]),
        reverse("family_admin:code_regenerate", args=[family_b.pk]),
        reverse("family_admin:letter", args=[family_b.pk]),
    ]


def test_agent_lists_only_own_collectivity_families(agent_client, family_a, family_b):
    response = agent_client.get(LIST_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Dupont" in content
    assert family_a.subscriber_code in content
    assert "Bêtafamille" not in content
    assert family_b.subscriber_code not in content


def test_list_search_by_name_and_code(agent_client, family_a, collectivity_a):
    FamilyFactory(collectivity=collectivity_a, name="Martin")
    content = agent_client.get(LIST_URL, {"q": "dupo"}).content.decode()
    assert "Dupont" in content and "Martin" not in content
    spaced = " ".join([family_a.subscriber_code[:4], family_a.subscriber_code[4:].lower()])
    content = agent_client.get(LIST_URL, {"q": spaced}).content.decode()
    assert "Dupont" in content and "Martin" not in content


def test_list_filter_with_and_without_subscription(agent_client, family_a, collectivity_a):
    FamilyFactory(collectivity=collectivity_a, name="Martin")
    SubscriptionFactory(family=family_a)
    content = agent_client.get(LIST_URL, {"abonnement": "avec"}).content.decode()
    assert "Dupont" in content and "Martin" not in content
    content = agent_client.get(LIST_URL, {"abonnement": "sans"}).content.decode()
    assert "Martin" in content and "Dupont" not in content


def test_other_collectivity_urls_answer_404(agent_client, family_a, family_b):
    urls = b_urls(family_b)
    for url in urls:
        assert agent_client.get(url).status_code == 404, url
    for url in urls[1:]:
        assert agent_client.post(url).status_code == 404, url
    family_b.refresh_from_db()
    assert Subscription.objects.filter(family=family_b).count() == 1
    assert family_b.subscriber_code


def test_agent_of_b_reaches_b_family_on_b_host(client_b, agent_b, family_b):
    client_b.force_login(agent_b)
    response = client_b.get(reverse("family_admin:detail", args=[family_b.pk]))
    assert response.status_code == 200
    assert family_b.subscriber_code in response.content.decode()


def test_editor_is_refused(client_a, editor_a, family_a):
    client_a.force_login(editor_a)
    urls = [
        LIST_URL,
        reverse("family_admin:detail", args=[family_a.pk]),
        reverse("family_admin:accounts"),
        reverse("family_admin:import"),
        reverse("family_admin:letter", args=[family_a.pk]),
        reverse("family_admin:code_regenerate", args=[family_a.pk]),
    ]
    code = family_a.subscriber_code
    # Wagtail's admin answers a PermissionDenied with a redirect to the dashboard.
    for url in urls:
        response = client_a.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/admin/"
    assert client_a.post(urls[-1]).status_code == 302
    family_a.refresh_from_db()
    assert family_a.subscriber_code == code


def test_parent_is_refused(client_a, family_a):
    parent = UserFactory()
    subscription_create(user=parent, family=family_a)
    client_a.force_login(parent)
    for url in (LIST_URL, reverse("family_admin:detail", args=[family_a.pk])):
        assert client_a.get(url).status_code == 403  # not a member of the collectivity
    client_a.logout()
    response = client_a.get(reverse("family_admin:detail", args=[family_a.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_menu_shows_families_to_agents_only(client_a, agent_a, editor_a):
    client_a.force_login(agent_a)
    assert "Comptes et abonnements" in client_a.get("/admin/").content.decode()
    client_a.force_login(editor_a)
    assert "Comptes et abonnements" not in client_a.get("/admin/").content.decode()


def test_family_detail_shows_guardians_subscriptions_and_timeline(agent_client, family_a):
    parent = UserFactory(email="parent.dupont@example.test")
    subscription_create(user=parent, family=family_a)
    content = agent_client.get(reverse("family_admin:detail", args=[family_a.pk])).content
    content = content.decode()
    assert "Claire" in content
    assert "parent.dupont@example.test" in content
    assert "Code abonné généré." in content  # timeline
    assert "Délier" in content and "Révoquer le code" in content


def test_unlink_confirms_then_removes_exactly_that_subscription(agent_client, agent_a, family_a):
    kept = SubscriptionFactory(family=family_a)
    removed = SubscriptionFactory(family=family_a)
    url = reverse("family_admin:subscription_unlink", args=[family_a.pk, removed.pk])
    response = agent_client.get(url)
    assert response.status_code == 200
    assert Subscription.objects.filter(pk=removed.pk).exists()  # GET changes nothing
    response = agent_client.post(url)
    assert response.status_code == 302
    assert list(Subscription.objects.filter(family=family_a)) == [kept]
    event = TimelineEvent.objects.get(family_id=family_a.pk, verb="subscription_removed")
    assert event.actor == agent_a
    assert removed.user.email in event.message


def test_unlink_of_subscription_of_other_family_is_404(agent_client, family_a, collectivity_a):
    other = FamilyFactory(collectivity=collectivity_a)
    subscription = SubscriptionFactory(family=other)
    url = reverse("family_admin:subscription_unlink", args=[family_a.pk, subscription.pk])
    assert agent_client.post(url).status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_regenerate_changes_code_and_old_code_stops_working(
    agent_client, agent_a, family_a, collectivity_a
):
    old = family_a.subscriber_code
    url = reverse("family_admin:code_regenerate", args=[family_a.pk])
    assert agent_client.get(url).status_code == 200
    family_a.refresh_from_db()
    assert family_a.subscriber_code == old
    assert agent_client.post(url).status_code == 302
    family_a.refresh_from_db()
    assert family_a.subscriber_code and family_a.subscriber_code != old
    with pytest.raises(SubscriptionError):
        subscriber_code_lookup(collectivity=collectivity_a, code=old)
    found = subscriber_code_lookup(collectivity=collectivity_a, code=family_a.subscriber_code)
    assert found == family_a
    assert TimelineEvent.objects.filter(
        family_id=family_a.pk, verb="code_regenerated", actor=agent_a
    ).exists()


def test_revoke_makes_code_unusable(agent_client, family_a, collectivity_a):
    SubscriptionFactory(family=family_a)
    old = family_a.subscriber_code
    url = reverse("family_admin:code_revoke", args=[family_a.pk])
    assert agent_client.post(url).status_code == 302
    family_a.refresh_from_db()
    assert family_a.subscriber_code is None
    assert Subscription.objects.filter(family=family_a).count() == 1  # subscriptions stay
    with pytest.raises(SubscriptionError):
        subscriber_code_lookup(collectivity=collectivity_a, code=old)
    assert TimelineEvent.objects.filter(family_id=family_a.pk, verb="code_revoked").exists()


def test_accounts_lists_only_accounts_subscribed_here(
    agent_client, family_a, family_b, collectivity_a
):
    here = UserFactory(email="ici@example.test")
    there = UserFactory(email="ailleurs@example.test")
    both = UserFactory(email="deux@example.test")
    subscription_create(user=here, family=family_a)
    subscription_create(user=there, family=family_b)
    subscription_create(user=both, family=family_a)
    subscription_create(user=both, family=family_b)
    content = agent_client.get(reverse("family_admin:accounts")).content.decode()
    assert "ici@example.test" in content
    assert "deux@example.test" in content
    assert "ailleurs@example.test" not in content
    assert "Bêtafamille" not in content  # the shared account's family elsewhere stays hidden
    assert "Dupont" in content


def _make_families(collectivity, count, start=0):
    for n in range(start, start + count):
        family = FamilyFactory(collectivity=collectivity, name=f"Famille{n:03d}")
        Guardian.objects.create(family=family, rank=1, first_name="A", last_name=f"F{n}")
        Guardian.objects.create(family=family, rank=2, first_name="B", last_name=f"F{n}")
        SubscriptionFactory(family=family)


def test_family_list_queries_do_not_grow(
    agent_client, collectivity_a, django_assert_max_num_queries
):
    _make_families(collectivity_a, 3)
    agent_client.get(LIST_URL)  # warm caches (site, settings, permissions)
    with django_assert_max_num_queries(25) as small:
        assert agent_client.get(LIST_URL).status_code == 200
    _make_families(collectivity_a, 30, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = agent_client.get(LIST_URL)
    assert response.status_code == 200
    assert "Famille032" in response.content.decode()


def test_accounts_queries_do_not_grow(agent_client, collectivity_a, django_assert_max_num_queries):
    _make_families(collectivity_a, 3)
    url = reverse("family_admin:accounts")
    agent_client.get(url)
    with django_assert_max_num_queries(25) as small:
        assert agent_client.get(url).status_code == 200
    _make_families(collectivity_a, 30, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert agent_client.get(url).status_code == 200


def test_family_list_with_an_unknown_filter_goes_back_to_the_list(collectivity_a, agent_a):
    """Reproduction: ``/admin/family/family/?famille=1`` answered 500
    (``IncorrectLookupParameters``); it now returns to the unfiltered list, as Django's admin."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(agent_a)
    response = client.get("/admin/family/family/", {"famille": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/family/family/?e=1"
    assert client.get(response["Location"]).status_code == 200


def test_family_page_lists_the_familys_emails_and_resends_a_failed_one(
    collectivity_a, collectivity_b, agent_a
):
    """Issue #12, item 1: agents see each family's e-mails (subject, date, status) on the
    family's page and can send a failed one again; another family's or collectivity's are not
    there."""
    from django.test import Client

    from notifications.models import OutboxEmail
    from notifications.services import email_queue

    family = FamilyFactory(collectivity=collectivity_a, name="Famille-Courriels")
    other = FamilyFactory(collectivity=collectivity_a, name="Famille-Voisine")
    elsewhere = FamilyFactory(collectivity=collectivity_b, name="Famille-Ailleurs")
    mine = email_queue(
        template="account/unknown_account",
        to=["a@example.test"],
        collectivity=collectivity_a,
        family=family,
    )
    OutboxEmail.objects.filter(pk=mine.pk).update(status=OutboxEmail.Status.FAILED)
    email_queue(
        template="account/unknown_account",
        to=["voisin@example.test"],
        collectivity=collectivity_a,
        family=other,
    )
    email_queue(
        template="account/unknown_account",
        to=["ailleurs@example.test"],
        collectivity=collectivity_b,
        family=elsewhere,
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent_a)
    page = client.get(f"/admin/familles/{family.pk}/").content.decode()
    assert "E-mails envoyés à la famille" in page
    assert "a@example.test" in page and "Échec" in page
    assert "voisin@example.test" not in page and "ailleurs@example.test" not in page
    resend_url = reverse("notifications_admin:email_resend", args=[mine.pk])
    assert f'action="{resend_url}"' in page
    response = client.post(resend_url)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status in (OutboxEmail.Status.PENDING, OutboxEmail.Status.SENT)


def test_the_family_card_keeps_the_addresss_second_line(client_a, agent_a, family_a):
    """Reproduction (issue #16, item 13): the card showed « 12 rue des Lilas » then the town,
    dropping « Bâtiment B »."""
    Guardian.objects.filter(family=family_a).update(
        address="12 rue des Lilas",
        address_complement="Bâtiment B",
        postal_code="45630",
        city="Beaulieu-sur-Loire",
    )
    client_a.force_login(agent_a)
    page = client_a.get(reverse("family_admin:detail", args=[family_a.pk])).content.decode()
    assert "12 rue des Lilas<br>Bâtiment B<br>45630 Beaulieu-sur-Loire" in page
