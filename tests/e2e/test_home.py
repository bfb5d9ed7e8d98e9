import re

import pytest
from playwright.sync_api import expect

from tests.conftest import HOST_B

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_pages_in_a_browser_have_no_axe_violation(
    live_server, page, axe, collectivity_a, collectivity_b
):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ville de Alpha")
    axe(page)
    port = live_server.url.rsplit(":", 1)[1]
    page.goto(f"http://{HOST_B}:{port}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ville de Bêta")
    axe(page)


def test_skip_link_is_first_and_moves_focus(live_server, page, collectivity_a):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#contenu$"))


def test_home_page_readable_at_320px(live_server, page, collectivity_a):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
