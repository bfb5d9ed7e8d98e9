"""The family-space creation form in a browser: Espace famille → « Je n’ai pas de code
abonné » → step 1 (copy address, two children) → step 2 (holder pre-filled, IBAN) → step 3
→ sent; the agent accepts in the back office; the parent sees the family. axe-core runs on
every page, a step with errors included."""

import re

from django.conf import settings
from django.test import Client

import pytest
from playwright.sync_api import expect

from family.models import Family, FamilyCreationRequest
from tests.conftest import HOST_A
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOM = re.compile(r"^Nom\b")


def _log_in(context, live_server, user):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_creation_form_journey(live_server, page, browser, axe, collectivity_a, agent_a):
    parent = UserFactory(email="parent.creation@example.test")
    _log_in(page.context, live_server, parent)

    page.goto(live_server.url + "/famille/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("pas encore reliée")
    axe(page)
    page.get_by_role("link", name="Je n’ai pas de code abonné").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Étape 1 sur 3 : Ma famille")
    expect(page.locator('[aria-current="step"]')).to_contain_text("Ma famille")
    axe(page)

    # A step with errors: nothing typed.
    page.get_by_role("button", name="Étape suivante", exact=True).last.click()
    expect(page.get_by_role("alert")).to_contain_text("Indiquez le nom du responsable 1.")
    axe(page, context="étape 1 avec erreurs")

    r1 = page.locator("#responsable-1")
    r1.get_by_label("Civilité").select_option("mme")
    r1.get_by_label(NOM).fill("Bernard")
    r1.get_by_label("Prénom").fill("Anne")
    r1.get_by_label("Date de naissance").fill("1984-02-03")
    r1.get_by_label("Adresse", exact=True).fill("12 avenue Foch")
    r1.get_by_label("Code postal").fill("31000")
    r1.get_by_label("Commune").fill("Toulouse")
    r1.get_by_label("Téléphone portable").fill("06 11 22 33 44")
    r1.get_by_label("E-mail").fill("anne@example.test")
    r2 = page.locator("#responsable-2")
    r2.get_by_label(NOM).fill("Bernard")
    r2.get_by_label("Prénom").fill("Louis")
    # With JavaScript, the copy is instant (no reload).
    r2.get_by_role("button", name="Copier l’adresse du responsable 1").click()
    expect(r2.get_by_label("Adresse", exact=True)).to_have_value("12 avenue Foch")
    expect(r2.get_by_label("Code postal")).to_have_value("31000")
    expect(r2.get_by_label("Commune")).to_have_value("Toulouse")

    for index, (first_name, birth) in enumerate((("Jade", "2016-06-01"), ("Noé", "2019-11-20"))):
        page.get_by_role("button", name="Ajouter un enfant").click()
        child = page.locator(f"#enfant-{index + 1}")
        expect(child.get_by_label(NOM)).to_be_focused()
        child.get_by_label(NOM).fill("Bernard")
        child.get_by_label("Prénom").fill(first_name)
        child.get_by_label("Date de naissance").fill(birth)
        child.get_by_label("Sexe").select_option(label="Fille" if index == 0 else "Garçon")
        child.get_by_label("École").fill("École Jean-Jaurès")
    # Responsable 2's copied address survived the reloads.
    expect(page.locator("#responsable-2").get_by_label("Commune")).to_have_value("Toulouse")
    axe(page, context="étape 1 avec deux enfants")
    page.get_by_role("button", name="Étape suivante", exact=True).last.click()

    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Étape 2 sur 3 : Mes informations financières"
    )
    expect(page.get_by_label("Titulaire du compte (nom et prénom)")).to_have_value("Anne Bernard")
    expect(page.get_by_label("Adresse du titulaire")).to_have_value(
        "12 avenue Foch, 31000 Toulouse"
    )
    axe(page)
    page.get_by_label("IBAN").fill("FR76 1234")
    page.get_by_role("button", name="Étape suivante").click()
    expect(page.get_by_role("alert")).to_contain_text("IBAN invalide")
    axe(page, context="étape 2 avec erreurs")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("Quotient familial (€)").fill("650")
    page.get_by_role("button", name="Étape suivante").click()

    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Étape 3 sur 3 : Récapitulatif et envoi"
    )
    expect(page.get_by_text("FR7630006000011234567890189")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande a été envoyée")
    axe(page)
    page.get_by_role("link", name="Espace famille").last.click()
    expect(page.get_by_text("en attente de validation")).to_be_visible()
    axe(page)

    # The agent accepts in the back office.
    request = FamilyCreationRequest.objects.get(user=parent)
    agent_context = browser.new_context(locale="fr-FR")
    _log_in(agent_context, live_server, agent_a)
    agent_page = agent_context.new_page()
    agent_page.goto(live_server.url + f"/admin/familles/creations/{request.pk}/")
    expect(agent_page.get_by_role("cell", name="Noé Bernard")).to_be_visible()
    axe(agent_page)
    agent_page.get_by_role("button", name="Accepter").click()
    family = Family.objects.get(collectivity=collectivity_a)
    expect(agent_page.get_by_text(family.subscriber_code).first).to_be_visible()
    axe(agent_page)
    agent_context.close()

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace famille")
    expect(page.get_by_role("heading", name="Famille Bernard")).to_be_visible()
    expect(page.locator("main").get_by_text("Jade")).to_be_visible()
    axe(page)
