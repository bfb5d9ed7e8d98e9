"""Links to a module that is off are never shown to parents, and the editor is told why when
saving the page or the menus; a link that leads nowhere is reported (issue #16, item 10)."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from wagtail import hooks

import pytest

from cms_pages.links import link_problems
from cms_pages.models import HelpIndexPage, HomePage, NavigationSettings
from cms_pages.services import help_guide_publish, navigation_set
from tests.conftest import HOST_A


@pytest.fixture
def guide(collectivity_a):
    home = HomePage.objects.get(pk=collectivity_a.site.root_page_id)
    index = home.add_child(instance=HelpIndexPage(title="Aide", slug="aide"))
    body = [
        {
            "type": "paragraph",
            "value": '<p>Consultez l’<a href="/facturation/">Espace facturation</a> ou le '
            '<a href="/famille/planning/">planning</a>.</p>',
        },
        {
            "type": "callout",
            "value": {
                "kind": "tip",
                "title": "",
                "text": '<p>Voir <a href="/aide/nulle-part/">ce guide</a>.</p>',
            },
        },
    ]
    return help_guide_publish(index=index, title="Factures", slug="factures", summary="", body=body)


def _request(user=None):
    request = RequestFactory(HTTP_HOST=HOST_A).post("/admin/")
    request.session = {}
    request._messages = FallbackStorage(request)
    request.user = user
    return request


def test_parents_never_see_a_link_to_a_module_that_is_off(client_a, collectivity_a, guide):
    html = client_a.get(guide.get_url()).content.decode()
    assert '<a href="/facturation/">Espace facturation</a>' in html

    collectivity_a.module_billing = False
    collectivity_a.save()
    html = client_a.get(guide.get_url()).content.decode()
    assert 'href="/facturation/"' not in html
    assert "<span>Espace facturation</span>" in html  # the words stay
    assert '<a href="/famille/planning/">planning</a>' in html  # planning is still on


def test_the_editor_is_warned_when_saving_the_page(collectivity_a, guide):
    collectivity_a.module_billing = False
    collectivity_a.save()
    request = _request()
    for hook in hooks.get_hooks("after_edit_page"):
        hook(request, guide)
    texts = [str(message) for message in get_messages(request)]
    assert any(
        "« Espace facturation » (/facturation/) mène au module « Facturation », désactivé" in text
        for text in texts
    ), texts
    assert any("« ce guide » (/aide/nulle-part/) ne mène à aucune page." in text for text in texts)
    assert not any("planning" in text for text in texts)


def test_link_problems_know_pages_and_module_views(collectivity_a, guide):
    site = collectivity_a.site
    request = _request()
    ok = '<a href="/aide/factures/">guide</a> <a href="/famille/planning/">planning</a>'
    assert link_problems(ok, collectivity=collectivity_a, site=site, request=request) == []
    assert (
        link_problems(
            '<a href="https://www.cnil.fr/">CNIL</a> <a href="mailto:x@y.fr">x</a>',
            collectivity=collectivity_a,
            site=site,
            request=request,
        )
        == []
    )


def test_the_editor_is_warned_about_a_menu_entry_to_a_module_that_is_off(collectivity_a):
    collectivity_a.module_billing = False
    collectivity_a.save()
    navigation_set(
        site=collectivity_a.site,
        header=[{"portal_link": "billing_space"}, {"portal_link": "dossier"}],
        footer=[],
    )
    request = _request()
    for hook in hooks.get_hooks("after_edit_setting"):
        hook(request, NavigationSettings.for_site(collectivity_a.site))
    texts = [str(message) for message in get_messages(request)]
    assert texts == [
        "L’entrée « Espace facturation » du menu mène à un module désactivé pour cette "
        "collectivité : elle n’est pas affichée aux familles."
    ]


def test_the_menu_hides_the_entry_from_parents(client_a, collectivity_a):
    navigation_set(
        site=collectivity_a.site,
        header=[{"portal_link": "billing_space"}, {"portal_link": "dossier"}],
        footer=[],
    )
    assert "Espace facturation" in client_a.get("/").content.decode()
    collectivity_a.module_billing = False
    collectivity_a.save()
    html = client_a.get("/").content.decode()
    menu = html[
        html.index('id="menu-principal"') : html.index("</nav>", html.index("menu-principal"))
    ]
    assert "Espace facturation" not in menu and "Dossier famille" in menu
