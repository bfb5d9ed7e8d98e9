"""Create an account in a browser → open the activation link of the e-mail → log in → Mon
espace citoyen; and the same with a subscriber code given at sign-up, ending with the family
linked. axe-core runs on every page visited. (The CAPTCHA is off in the test settings.)"""

import re

from django.core import mail
from django.core.cache import cache

import pytest
from playwright.sync_api import expect

from family.models import Subscription
from family.services import family_code_regenerate
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Pivoine-Lavande-2026"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    mail.outbox.clear()


def _sign_up(page, live_server, axe, *, email, code=""):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Créer un compte").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    axe(page)
    page.get_by_label("Madame").check()
    page.get_by_label(re.compile(r"^Nom\W")).fill("Durand")
    page.get_by_label(re.compile(r"^Prénom\W")).fill("Claire")
    page.get_by_label(re.compile(r"^Adresse e-mail\W")).fill(email)
    page.get_by_label(re.compile(r"^Mot de passe\W")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Confirmation du mot de passe")).fill(PASSWORD)
    if code:
        page.get_by_label(re.compile(r"^Code abonné famille")).fill(code)
    page.get_by_label("J’ai lu et j’accepte les conditions générales d’utilisation").check()
    page.get_by_role("button", name="S’inscrire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activez votre compte")
    axe(page)


def _activate_and_log_in(page, axe, *, email):
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/compte/confirmer/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer mon compte")
    axe(page)
    page.get_by_role("button", name="Confirmer mon adresse e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    axe(page)
    page.get_by_label(re.compile(r"^(Adresse )?e-mail", re.I)).fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace citoyen")
    axe(page)


def test_create_an_account_activate_it_and_log_in(live_server, page, axe, collectivity_a):
    _sign_up(page, live_server, axe, email="claire.durand@example.test")
    _activate_and_log_in(page, axe, email="claire.durand@example.test")
    expect(page.get_by_text("Bienvenue, Claire Durand.")).to_be_visible()

    # The link again: a clear page, not an error.
    link = re.search(r"http://\S+/compte/confirmer/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Lien d’activation expiré ou déjà utilisé"
    )
    axe(page)


def test_sign_up_with_a_code_links_the_family_on_activation(live_server, page, axe, collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Moreau")
    code = family_code_regenerate(family=family)
    _sign_up(page, live_server, axe, email="claire.moreau@example.test", code=code)
    _activate_and_log_in(page, axe, email="claire.moreau@example.test")

    assert Subscription.objects.filter(
        user__email="claire.moreau@example.test", family=family
    ).exists()
    page.goto(live_server.url + "/famille/")
    expect(page.locator("main")).to_contain_text("Moreau")
    axe(page)


def test_sign_up_errors_are_announced_and_accessible(live_server, page, axe, collectivity_a):
    page.goto(live_server.url + "/compte/inscription/")
    page.get_by_role("button", name="S’inscrire").click()
    expect(page.get_by_role("alert").first).to_contain_text("Le formulaire contient")
    expect(page.get_by_text("Indiquez votre nom.")).to_be_visible()
    axe(page)
    for path in ("/compte/mot-de-passe-oublie/", "/compte/activation/renvoyer/"):
        page.goto(live_server.url + path)
        axe(page)


def test_captcha_widget_solves_in_the_browser(live_server, page, axe, collectivity_a, settings):
    settings.PORTAL_CAPTCHA_ENABLED = True
    page.goto(live_server.url + "/compte/inscription/")
    widget = page.locator("altcha-widget")
    expect(widget).to_be_visible()
    # The fallback question gives way to the widget once it is loaded.
    expect(page.locator("#id_captcha_answer")).to_be_hidden()
    axe(page)
    page.get_by_label("Madame").check()
    page.get_by_label(re.compile(r"^Nom\W")).fill("Durand")
    page.get_by_label(re.compile(r"^Prénom\W")).fill("Claire")
    page.get_by_label(re.compile(r"^Adresse e-mail\W")).fill("claire.durand@example.test")
    page.get_by_label(re.compile(r"^Mot de passe\W")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Confirmation du mot de passe")).fill(PASSWORD)
    page.get_by_label("J’ai lu et j’accepte les conditions générales d’utilisation").check()
    # As a keyboard user would: focus the widget's checkbox and press Space.
    page.get_by_label("Je ne suis pas un robot").focus()
    page.keyboard.press("Space")
    expect(page.locator("altcha-widget input[name=altcha]")).not_to_have_value("", timeout=30000)
    page.get_by_role("button", name="S’inscrire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activez votre compte")
    assert len(mail.outbox) == 1
