import pytest

from cms_pages.services import navigation_set
from portal.models import Collectivity

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.urls_modules")]


def _with_billing_menu(collectivity):
    navigation_set(
        site=collectivity.site,
        header=[{"portal_link": "billing_space"}, {"portal_link": "family_space"}],
        footer=[],
    )


def test_module_on_shows_menu_entry_and_url(client_a, collectivity_a):
    _with_billing_menu(collectivity_a)
    home = client_a.get("/").content.decode()
    assert 'href="/facturation/">Espace facturation</a>' in home
    assert client_a.get("/facturation/").status_code == 200


def test_module_off_hides_menu_entry_tile_and_answers_404(client_a, collectivity_a):
    _with_billing_menu(collectivity_a)
    Collectivity.objects.filter(pk=collectivity_a.pk).update(module_billing=False)
    home = client_a.get("/").content.decode()
    assert "/facturation/" not in home  # neither the menu entry nor the home tile
    assert "Espace famille" in home  # entries of other modules stay
    assert client_a.get("/facturation/").status_code == 404


def test_module_is_per_collectivity(client_a, client_b, collectivity_a, collectivity_b):
    Collectivity.objects.filter(pk=collectivity_a.pk).update(module_billing=False)
    assert client_a.get("/facturation/").status_code == 404
    assert client_b.get("/facturation/").status_code == 200


def test_online_payment_needs_billing(collectivity_a):
    from django.core.exceptions import ValidationError

    collectivity_a.module_billing = False
    collectivity_a.module_online_payment = True
    with pytest.raises(ValidationError):
        collectivity_a.full_clean()
