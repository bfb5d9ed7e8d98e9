"""Demo loader of the CMS: two collectivities on two host names, each with its pages,
menus, branding, an agent and an editor."""

import json

from wagtail.models import Site

from portal.models import Collectivity, Membership
from portal.services import collectivity_sync_permissions, membership_grant

from . import demo_content
from .models import BrandingSettings, HelpIndexPage, HomePage
from .services import (
    collectivity_site_create,
    help_guide_publish,
    navigation_set,
    placeholder_site_remove,
    standard_page_publish,
)

COLLECTIVITIES = [
    {
        "key": "beaulieu",
        "name": "Ville de Beaulieu-sur-Loire",
        "name_with_article": "la Ville de Beaulieu-sur-Loire",
        "hostname": "localhost",
        "tagline": "Le portail des familles de Beaulieu-sur-Loire",
        "primary_colour": "#1f4e8c",
        "contact_email": "enfance@beaulieu.localhost",
        "contact_phone": "02 38 00 00 01",
        "address": "Hôtel de ville\n1 place de la Mairie\n45630 Beaulieu-sur-Loire",
        "sender_email": "portail-famille@beaulieu.localhost",
        "school_zone": "B",
        "module_documents": True,
        "module_billing": True,
        "module_online_payment": True,
        "agent": ("agent@beaulieu.localhost", "Claire", "Martin"),
        "editor": ("editeur@beaulieu.localhost", "Hugo", "Lefèvre"),
    },
    {
        "key": "valfleuri",
        "name": "Communauté de communes du Val Fleuri",
        "name_with_article": "la Communauté de communes du Val Fleuri",
        "hostname": "valfleuri.localhost",
        "tagline": "Enfance et jeunesse en Val Fleuri",
        "primary_colour": "#0b6e4f",
        "contact_email": "enfance@valfleuri.localhost",
        "contact_phone": "04 75 00 00 02",
        "address": "Maison des services\n12 avenue des Tilleuls\n26400 Val-Fleuri",
        "sender_email": "portail-famille@valfleuri.localhost",
        "school_zone": "A",
        "module_enrolment": False,
        "module_billing": True,
        "agent": ("agent@valfleuri.localhost", "Nadia", "Benali"),
        "editor": ("editeur@valfleuri.localhost", "Louis", "Garnier"),
    },
]


def load(context):
    placeholder_site_remove()
    for spec in COLLECTIVITIES:
        spec = dict(spec)
        key = spec.pop("key")
        agent, editor = spec.pop("agent"), spec.pop("editor")
        home = demo_content.home_page(spec["name"], spec["tagline"])
        collectivity = Collectivity.objects.filter(site__hostname=spec["hostname"]).first()
        config = {
            k: v
            for k, v in spec.items()
            if k not in {"name", "hostname", "tagline", "primary_colour"}
        }
        if collectivity is None:
            collectivity = collectivity_site_create(
                name=spec["name"],
                hostname=spec["hostname"],
                port=context.port,
                home=home,
                primary_colour=spec["primary_colour"],
                tagline=spec["tagline"],
                slug_hint=key,
                **config,
            )
        else:
            Collectivity.objects.filter(pk=collectivity.pk).update(name=spec["name"], **config)
            collectivity.refresh_from_db()
            Site.objects.filter(pk=collectivity.site_id).update(port=context.port)
            collectivity_sync_permissions(collectivity=collectivity)
            home_page = HomePage.objects.get(pk=collectivity.site.root_page_id)
            home_page.title = home["title"]
            home_page.welcome_title = home["welcome_title"]
            home_page.welcome_text = home["welcome_text"]
            home_page.tiles = json.dumps([{"type": "tile", "value": t} for t in home["tiles"]])
            home_page.save_revision().publish()
            branding = BrandingSettings.for_site(collectivity.site)
            branding.primary_colour, branding.tagline = spec["primary_colour"], spec["tagline"]
            branding.save()
        _load_pages(collectivity, spec)
        for role, (email, first, last) in (
            (Membership.Role.AGENT, agent),
            (Membership.Role.EDITOR, editor),
        ):
            user = context.user(email, first_name=first, last_name=last)
            membership_grant(user=user, collectivity=collectivity, role=role)
            label = "agent" if role == Membership.Role.AGENT else "éditeur (pages, menus)"
            context.logins.append((label, collectivity.name, email))
        context.collectivities[key] = collectivity

    context.user(
        "admin@portail.localhost",
        first_name="Admin",
        last_name="Plateforme",
        is_staff=True,
        is_superuser=True,
    )
    context.logins.insert(0, ("administrateur (tous sites)", "", "admin@portail.localhost"))


def _load_pages(collectivity, spec):
    home = HomePage.objects.get(pk=collectivity.site.root_page_id)
    index_data = demo_content.help_index(collectivity.name)
    index = HelpIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(
            instance=HelpIndexPage(
                title=index_data["title"], slug=index_data["slug"], intro=index_data["intro"]
            )
        )
    else:
        index.title, index.intro = index_data["title"], index_data["intro"]
        index.save_revision().publish()
    for guide in demo_content.help_guides(collectivity.name):
        help_guide_publish(
            index=index,
            title=guide["title"],
            slug=guide["slug"],
            summary=guide["summary"],
            body=guide["body"],
        )
    pages = {}
    for data in demo_content.standard_pages(
        collectivity.name,
        spec["address"].replace("\n", ", "),
        spec["contact_email"],
        spec["contact_phone"],
    ):
        pages[data["role"]] = standard_page_publish(
            home=home, title=data["title"], slug=data["slug"], body=data["body"]
        )
    navigation_set(
        site=collectivity.site,
        header=[
            {"label": "Accueil", "page": home},
            {"portal_link": "family_space"},
            {"portal_link": "planning"},
            {"portal_link": "enrolment"},
            {"portal_link": "billing_space"},
            {"portal_link": "documents"},
            {"label": "Aide", "page": index},
        ],
        footer=[
            {"page": pages["terms"]},
            {"page": pages["legal"]},
            {"page": pages["privacy"]},
            {"label": "Accessibilité : en cours d’audit", "page": pages["accessibility"]},
            {"label": "Aide", "page": index},
        ],
        terms_page=pages["terms"],
    )
