"""The content security policy in a browser (issue #11, item 8): the home page, the log-in
and sign-up pages (with the ALTCHA widget solving its proof-of-work in a worker), the planning
and the back office's dashboard report no violation, and the widget still works."""

import datetime

from django.conf import settings
from django.test import Client

import pytest
from playwright.sync_api import expect

from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page, live_server, user):
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


def _visit(page, url, csp_violations, axe=None):
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    if axe is not None:
        axe(page)
    assert csp_violations() == [], url


def test_public_pages_report_no_csp_violation(
    live_server, page, axe, csp_violations, collectivity_a, settings
):
    settings.PORTAL_CAPTCHA_ENABLED = True
    _visit(page, live_server.url + "/", csp_violations, axe)
    _visit(page, live_server.url + "/compte/connexion/", csp_violations, axe)
    _visit(page, live_server.url + "/compte/inscription/", csp_violations)
    # The ALTCHA widget loaded under the policy (its stylesheet, its worker).
    widget = page.locator("altcha-widget")
    expect(widget).to_be_visible()
    expect(page.locator("#id_captcha_answer")).to_be_hidden()
    page.get_by_label("Je ne suis pas un robot").focus()
    page.keyboard.press("Space")
    expect(page.locator("altcha-widget input[name=altcha]")).not_to_have_value("", timeout=30000)
    assert csp_violations() == []


def test_planning_and_admin_report_no_csp_violation(
    live_server, page, axe, csp_violations, collectivity_a, agent_a
):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    parent = UserFactory(email="claire.csp@example.test")
    SubscriptionFactory(user=parent, family=family)
    child = ChildFactory(family=family, first_name="Léa", birth_date=datetime.date(2017, 3, 1))
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine")
    EnrolmentFactory(child=child, activity=canteen)
    SlotFactory(activity=canteen, date=datetime.date(2026, 12, 3))
    _log_in(page, live_server, parent)
    _visit(page, live_server.url + "/famille/planning/?date=2026-12-03", csp_violations, axe)
    _visit(page, live_server.url + "/mon-espace/abonnements/", csp_violations)
    page.context.clear_cookies()
    _log_in(page, live_server, agent_a)
    response = page.goto(live_server.url + "/admin/")
    assert "'unsafe-inline'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    expect(page.locator("main, #main")).to_have_count(1)
    assert csp_violations() == []
