"""The subscription journey in a browser: Mon espace citoyen → Mes abonnements → M’abonner →
code → Rechercher → Famille D••••• → Confirmer → the Espace famille opens, without logging out.
axe-core runs on every page."""

from datetime import date

from django.conf import settings
from django.test import Client

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from family.models import Child, Guardian, Subscription
from family.services import family_code_regenerate
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _parent():
    user = UserFactory(email="parent.e2e@example.test", first_name="Sophie", last_name="Dupont")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _log_in(page, live_server, user):
    """A real session for ``user``, handed to the browser as its session cookie (the journey
    under test starts once logged in; the log-in page has its own browser tests)."""
    client = Client()
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


def _dupont(collectivity):
    family = FamilyFactory(collectivity=collectivity, name="Dupont")
    Guardian.objects.create(
        family=family, rank=1, first_name="Sophie", last_name="Dupont", is_payer=True
    )
    Guardian.objects.create(family=family, rank=2, first_name="Marc", last_name="Dupont")
    Child.objects.create(
        family=family,
        first_name="Léa",
        last_name="Dupont",
        birth_date=date(2016, 3, 14),
        school="École Jules-Ferry",
        school_class="CM1",
    )
    return family, family_code_regenerate(family=family)


def test_subscribe_with_a_code_and_open_the_family_space(live_server, page, axe, collectivity_a):
    family, code = _dupont(collectivity_a)
    user = _parent()
    _log_in(page, live_server, user)

    page.goto(live_server.url + "/mon-espace/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace citoyen")
    axe(page)

    page.get_by_role("link", name="Mes abonnements").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes abonnements")
    axe(page)

    # With JavaScript, « M'abonner » opens a dialog holding the same form.
    page.get_by_role("link", name="M’abonner").click()
    dialog = page.get_by_role("dialog", name="M’abonner")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("textbox", name="Code abonné")).to_be_focused()
    axe(page, context="Mes abonnements, dialogue M’abonner")

    # A wrong code first: the answer is the « M'abonner » page with a French error,
    # announced and tied to the field.
    dialog.get_by_role("textbox", name="Code abonné").fill("ACDE-FGHJ-KMNP")
    dialog.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("M’abonner")
    expect(page.get_by_role("alert")).to_contain_text("Ce code abonné n’est pas reconnu")
    expect(page.get_by_role("textbox", name="Code abonné")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_text("Où obtenir votre code abonné ?")).to_be_visible()
    axe(page, context="M’abonner, code erroné")

    spaced = f"{code[:4].lower()} {code[4:8]} {code[8:]}"
    page.get_by_role("textbox", name="Code abonné").fill(spaced)
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l’abonnement")
    expect(page.get_by_text("Famille D•••••")).to_be_visible()
    assert "Dupont" not in page.locator("main").inner_text()
    axe(page)

    page.get_by_role("button", name="Confirmer l’abonnement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes abonnements")
    expect(page.get_by_role("status")).to_contain_text("Votre abonnement est actif")
    expect(page.get_by_role("rowheader", name="Famille Dupont")).to_be_visible()
    axe(page, context="Mes abonnements, après abonnement")
    assert Subscription.objects.filter(user=user, family=family).count() == 1

    # Still the same session: no log-out / log-in needed.
    page.get_by_role("link", name="Accéder à mon Espace famille").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace famille")
    expect(page.get_by_role("heading", level=2, name="Famille Dupont")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Léa")).to_be_visible()
    expect(page.get_by_text("responsable payeur")).to_be_visible()
    axe(page)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_no_code_yet_pages(live_server, page, axe, collectivity_a):
    collectivity_a.contact_email = "enfance@alpha.test"
    collectivity_a.contact_phone = "01 23 45 67 89"
    collectivity_a.save()
    _log_in(page, live_server, _parent())

    page.goto(live_server.url + "/famille/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("pas encore reliée")
    axe(page)

    page.get_by_role("link", name="Contacter le service enfance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je n’ai pas de code abonné")
    expect(page.locator("main").get_by_role("link", name="enfance@alpha.test")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="J’ai un code abonné").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("M’abonner")


def test_without_javascript_m_abonner_is_a_page(live_server, browser, collectivity_a):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    _log_in(page, live_server, _parent())
    page.goto(live_server.url + "/mon-espace/abonnements/")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("link", name="M’abonner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("M’abonner")
    expect(page.get_by_role("textbox", name="Code abonné")).to_be_visible()
    context.close()
