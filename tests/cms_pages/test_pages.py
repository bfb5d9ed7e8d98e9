import json

from django.core.exceptions import ValidationError

from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

import pytest

from cms_pages.colours import contrast_ratio
from cms_pages.models import BrandingSettings, HelpIndexPage, HomePage
from cms_pages.services import help_guide_publish, navigation_set, standard_page_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def help_index(collectivity_a):
    home = HomePage.objects.get(pk=collectivity_a.site.root_page_id)
    return home.add_child(instance=HelpIndexPage(title="Aide", slug="aide"))


def test_help_guide_renders_every_block(client_a, help_index):
    image = Image.objects.create(title="Écran", file=get_test_image_file())
    body = [
        {"type": "heading", "value": {"text": "Créer votre compte", "level": "h2"}},
        {"type": "heading", "value": {"text": "Le formulaire", "level": "h3"}},
        {"type": "paragraph", "value": "<p>Un <strong>texte</strong> riche.</p>"},
        {
            "type": "image",
            "value": {
                "image": image.pk,
                "decorative": False,
                "alt_text": "Le bouton Créer un compte",
            },
        },
        {
            "type": "steps",
            "value": [
                {"title": "Cliquez sur Créer un compte", "text": "<p>En haut à droite.</p>"},
                {"title": "Renseignez le formulaire", "text": "<p>Tous les champs.</p>"},
            ],
        },
        {
            "type": "callout",
            "value": {"kind": "warning", "title": "Lien", "text": "<p>Il expire.</p>"},
        },
        {
            "type": "faq",
            "value": [{"question": "Où est mon code ?", "answer": "<p>Dans le courrier.</p>"}],
        },
    ]
    guide = help_guide_publish(
        index=help_index,
        title="Créer un compte",
        slug="creer-un-compte",
        summary="Résumé",
        body=body,
    )
    html = client_a.get(guide.get_url()).content.decode()
    assert "<h2>Créer votre compte</h2>" in html
    assert "<h3>Le formulaire</h3>" in html
    assert "<strong>texte</strong>" in html
    assert 'alt="Le bouton Créer un compte"' in html
    assert '<ol class="steps">' in html and html.count('class="steps__item"') == 2
    assert "callout--warning" in html and "Attention" in html and "Il expire." in html
    assert "<summary>Où est mon code ?</summary>" in html
    index_html = client_a.get(help_index.get_url()).content.decode()
    assert "Créer un compte" in index_html and "Résumé" in index_html


def test_help_guide_publish_updates_by_slug(help_index):
    body = [{"type": "paragraph", "value": "<p>v1</p>"}]
    first = help_guide_publish(index=help_index, title="G", slug="g", summary="", body=body)
    body = json.loads(json.dumps([{"type": "paragraph", "value": "<p>v2</p>"}]))
    second = help_guide_publish(index=help_index, title="G2", slug="g", summary="", body=body)
    assert first.pk == second.pk
    second.refresh_from_db()
    assert second.title == "G2"


def test_home_tiles_link_to_available_spaces_and_help(client_a, help_index):
    html = client_a.get("/").content.decode()
    assert 'href="/mon-espace/"' in html
    assert 'href="/famille/"' in html
    assert 'href="/aide/"' in html


def test_menus_render_in_header_and_footer(client_a, collectivity_a, help_index):
    home = HomePage.objects.get(pk=collectivity_a.site.root_page_id)
    terms = standard_page_publish(
        home=home,
        title="Conditions générales d’utilisation",
        slug="cgu",
        body=[{"type": "paragraph", "value": "<p>CGU</p>"}],
    )
    navigation_set(
        site=collectivity_a.site,
        header=[{"label": "Aide", "page": help_index}, {"portal_link": "family_space"}],
        footer=[
            {"page": terms},
            {"label": "Service public", "external_url": "https://www.service-public.fr/"},
        ],
        terms_page=terms,
    )
    html = client_a.get("/").content.decode()
    header = html.split('id="menu-principal"')[1].split("</nav>")[0]
    assert 'href="/aide/">Aide</a>' in header and "Espace famille" in header
    footer = html.split('class="site-footer"')[1]
    assert 'href="/cgu/">Conditions générales d’utilisation</a>' in footer
    assert "https://www.service-public.fr/" in footer


def test_menu_item_needs_exactly_one_target(collectivity_a):
    with pytest.raises(ValidationError):
        navigation_set(site=collectivity_a.site, header=[{"label": "Vide"}], footer=[])


@pytest.mark.parametrize(
    "colour,ok",
    [("#1f4e8c", True), ("#0b6e4f", True), ("#ffcc00", False), ("#7fb3ff", False), ("bleu", False)],
)
def test_branding_colour_needs_contrast_with_white(collectivity_a, colour, ok):
    branding = BrandingSettings.for_site(collectivity_a.site)
    branding.primary_colour = colour
    if ok:
        branding.full_clean()
    else:
        with pytest.raises(ValidationError):
            branding.full_clean()


def test_contrast_ratio_reference_values():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54


def test_page_frame_login_state(client_a, collectivity_a):
    from tests.portal.factories import UserFactory

    html = client_a.get("/").content.decode()
    assert "Se connecter" in html and "Créer un compte" in html
    assert 'href="#contenu"' in html and 'id="contenu"' in html and 'lang="fr"' in html
    user = UserFactory(first_name="Léa", last_name="Dupont")
    client_a.force_login(user)
    html = client_a.get("/").content.decode()
    assert "Léa Dupont" in html and "Mon espace citoyen" in html and "Se déconnecter" in html
