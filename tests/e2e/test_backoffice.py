"""An agent's back-office journey in a browser: families, letters, unlink, import, accounts."""

from django.conf import settings
from django.test import Client

import pytest
from playwright.sync_api import expect

from family.models import Family, Guardian, Subscription
from family.services import family_code_regenerate, subscription_create
from tests.conftest import HOST_A
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def login_as(page, live_server, user):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_agent_back_office_journey(live_server, page, axe, collectivity_a, agent_a, tmp_path):
    families = []
    for name in ("Dupont", "Martin"):
        family = FamilyFactory(collectivity=collectivity_a, name=name)
        Guardian.objects.create(
            family=family, rank=1, civility="mme", first_name="Claire", last_name=name
        )
        family_code_regenerate(family=family)
        families.append(family)
    parent = UserFactory(email="parent.dupont@example.test")
    subscription_create(user=parent, family=families[0])
    login_as(page, live_server, agent_a)

    page.goto(live_server.url + "/admin/family/family/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Familles")
    axe(page)

    page.get_by_label("Sélectionner la famille Dupont").check()
    page.get_by_label("Sélectionner la famille Martin").check()
    page.get_by_role("button", name="Imprimer les courriers de la sélection").click()
    expect(page.get_by_text("pour 2 familles")).to_be_visible()
    axe(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le PDF").click()
    path = tmp_path / "courriers.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.goto(live_server.url + f"/admin/familles/{families[0].pk}/")
    subscriptions = page.get_by_role("table", name="Comptes abonnés à la famille")
    expect(
        subscriptions.get_by_role("cell", name="parent.dupont@example.test", exact=True)
    ).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Délier le compte parent.dupont@example.test").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Délier un abonnement")
    axe(page)
    page.get_by_role("button", name="Délier").click()
    expect(page.get_by_text("Aucun compte n’est abonné à cette famille.")).to_be_visible()
    assert not Subscription.objects.filter(family=families[0]).exists()

    page.get_by_role("link", name="Révoquer le code").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Révoquer le code")
    axe(page)
    page.get_by_role("button", name="Révoquer le code").click()
    expect(page.get_by_text("n’a pas de code abonné")).to_be_visible()
    assert Family.objects.get(pk=families[0].pk).subscriber_code is None

    page.goto(live_server.url + "/admin/familles/import/")
    axe(page)
    bad = tmp_path / "familles.csv"
    bad.write_text(
        "resp1_nom;resp1_prenom;resp1_adresse;resp1_code_postal;resp1_commune\n"
        "Petit;Anne;1 rue Haute;4500;Orléans\n",
        encoding="utf-8",
    )
    page.get_by_label("Fichier CSV des familles").set_input_files(str(bad))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("alert").first).to_contain_text("Ligne 2")
    axe(page)
    assert Family.objects.count() == 2

    page.goto(live_server.url + "/admin/familles/comptes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comptes et abonnements")
    axe(page)
