"""« Espace famille »: what a subscribed account sees, and nothing of the other families."""

from datetime import date

from django.test import Client

import pytest

from family.models import Child, Guardian
from family.services import subscription_create
from tests.conftest import HOST_A, HOST_B
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db

SPACE_URL = "/famille/"


def _family(collectivity, name, children=()):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(
        family=family, rank=1, first_name="Sophie", last_name=name, is_payer=True
    )
    Guardian.objects.create(family=family, rank=2, first_name="Marc", last_name=name)
    for first_name, birth_date, school, school_class in children:
        Child.objects.create(
            family=family,
            first_name=first_name,
            last_name=name,
            birth_date=birth_date,
            school=school,
            school_class=school_class,
        )
    return family


def _client(user, host=HOST_A):
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def test_family_space_shows_guardians_and_children(collectivity_a):
    family = _family(
        collectivity_a,
        "Dupont",
        [
            ("Léa", date(2017, 3, 14), "École Jules-Ferry", "CE2"),
            ("Hugo", None, "", ""),
        ],
    )
    user = UserFactory()
    subscription_create(user=user, family=family)
    response = _client(user).get(SPACE_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2" in page and "Famille Dupont" in page
    assert "Responsable 1</strong> :\n      Sophie Dupont — responsable payeur" in page
    assert "Responsable 2</strong> :\n      Marc Dupont\n" in page
    assert "14/03/2017" in page and " ans)" in page
    assert "École Jules-Ferry" in page and "CE2" in page
    assert "Hugo" in page


def test_child_age_in_months_then_years(collectivity_a):
    today = date.today()
    baby = date(today.year - 1, today.month, 1)
    family = _family(collectivity_a, "Petit", [("Jade", baby, "", "")])
    user = UserFactory()
    subscription_create(user=user, family=family)
    page = _client(user).get(SPACE_URL).content.decode()
    assert "mois)" in page


def test_other_families_are_never_shown(collectivity_a, collectivity_b):
    mine = _family(collectivity_a, "Dupont", [("Léa", None, "", "")])
    neighbour = _family(collectivity_a, "Nguyen", [("Tom", None, "", "")])
    elsewhere = _family(collectivity_b, "Bertin", [("Zoé", None, "", "")])
    user = UserFactory()
    subscription_create(user=user, family=mine)
    subscription_create(user=user, family=elsewhere)  # same account, other collectivity
    subscription_create(user=UserFactory(), family=neighbour)
    page = _client(user).get(SPACE_URL).content.decode()
    assert "Famille Dupont" in page
    for leaked in ("Nguyen", "Tom", "Bertin", "Zoé"):
        assert leaked not in page
    page_b = _client(user, HOST_B).get(SPACE_URL).content.decode()
    assert "Famille Bertin" in page_b and "Dupont" not in page_b


def test_subscribed_elsewhere_only_gets_the_no_family_page(collectivity_a, collectivity_b):
    elsewhere = _family(collectivity_b, "Bertin")
    user = UserFactory()
    subscription_create(user=user, family=elsewhere)
    response = _client(user).get(SPACE_URL)
    assert response.status_code == 200
    assert "family/no_family.html" in [t.name for t in response.templates]
    assert "Bertin" not in response.content.decode()


def test_several_families_one_section_each(collectivity_a):
    user = UserFactory()
    for name in ("Dupont", "Moreau"):
        subscription_create(user=user, family=_family(collectivity_a, name))
    page = _client(user).get(SPACE_URL).content.decode()
    assert page.count('<section class="family"') == 2
    assert page.index("Famille Dupont") < page.index("Famille Moreau")


def test_only_existing_services_have_tiles(collectivity_a):
    user = UserFactory()
    subscription_create(user=user, family=_family(collectivity_a, "Dupont"))
    page = _client(user).get(SPACE_URL).content.decode()
    # The dossier, the planning and billing exist; documents have no URL yet here.
    assert 'href="/famille/dossier/"' in page
    assert 'href="/famille/planning/"' in page
    assert 'href="/facturation/"' in page


@pytest.mark.urls("tests.portal.urls_modules")
def test_service_tiles_follow_urls_and_modules(collectivity_a):
    user = UserFactory()
    subscription_create(user=user, family=_family(collectivity_a, "Dupont"))
    client = _client(user)
    page = client.get(SPACE_URL).content.decode()
    assert 'href="/facturation/"' in page and "Espace facturation" in page
    collectivity_a.module_billing = False
    collectivity_a.save()
    page = client.get(SPACE_URL).content.decode()
    assert 'href="/facturation/"' not in page


@pytest.mark.parametrize("extra_children", [0, 4])
def test_query_count_does_not_grow_with_children(
    collectivity_a, django_assert_max_num_queries, extra_children
):
    children = [("Léa", date(2016, 1, 1), "École Jules-Ferry", "CM1")]
    children += [(f"Enfant{i}", date(2018, 1, i + 1), "École", "CP") for i in range(extra_children)]
    family = _family(collectivity_a, "Dupont", children)
    user = UserFactory()
    subscription_create(user=user, family=family)
    client = _client(user)
    client.get(SPACE_URL)
    # The same ceiling for 1 and 5 children.
    with django_assert_max_num_queries(11):
        response = client.get(SPACE_URL)
    assert response.content.decode().count('<th scope="row">') == 1 + extra_children
