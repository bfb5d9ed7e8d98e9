"""No page of the demo answers 500: a crawler follows every link of the demo's pages, as an
anonymous visitor, as a subscribed parent and as an agent, on both collectivities.

Links are taken from the pages themselves (``href="/..."`` on the same host), GET only; the
log-out links are not followed. Each walk is bounded so the test stays quick.
"""

import re
from collections import deque

from django.core.management import call_command
from django.test import Client

import pytest

from portal.models import User

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#]*)')
NEVER = ("/compte/deconnexion/", "/admin/logout/", "/static/", "/media/")
ADMIN_AREAS = (
    "/admin/familles/",
    "/admin/enfance/",
    "/admin/family/",
    "/admin/facturation/",
    "/admin/pieces/",
)
BUDGET = 160


def _crawl(client: Client, starts: list[str], *, admin: bool) -> tuple[dict, list[str]]:
    seen: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < BUDGET:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for link in HREF.findall(response.content.decode(errors="replace")):
            link = link.replace("&amp;", "&")
            if link.startswith(NEVER) or link in seen:
                continue
            if link.startswith("/admin/") and not (admin and link.startswith(ADMIN_AREAS)):
                continue
            queue.append(link)
    errors = [f"{path}: {status}" for path, status in seen.items() if status >= 500]
    return seen, errors


@pytest.mark.parametrize(
    ("host", "parent", "agent"),
    [
        ("localhost", "parent1@beaulieu.localhost", "agent@beaulieu.localhost"),
        ("valfleuri.localhost", "parent1@valfleuri.localhost", "agent@valfleuri.localhost"),
    ],
)
def test_no_page_of_the_demo_answers_500(host, parent, agent):
    call_command("demo_load", quiet=True)
    problems = []
    for who, starts, admin in (
        (None, ["/", "/aide/", "/compte/connexion/", "/compte/inscription/"], False),
        (
            parent,
            [
                "/",
                "/mon-espace/",
                "/famille/",
                "/famille/dossier/",
                "/famille/planning/",
                "/facturation/",
                "/famille/pieces-justificatives/",
            ],
            False,
        ),
        (
            agent,
            [
                "/admin/",
                "/admin/familles/demandes/",
                "/admin/enfance/activites/",
                "/admin/facturation/factures/",
                "/admin/pieces/",
            ],
            True,
        ),
    ):
        client = Client(HTTP_HOST=host)
        if who:
            client.force_login(User.objects.get(email=who))
        seen, errors = _crawl(client, starts, admin=admin)
        assert len(seen) > len(starts), f"{who or 'anonymous'} found no links on {host}"
        problems += [f"{who or 'anonymous'} {error}" for error in errors]
    assert not problems, "\n".join(problems)
