import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from portal.links import PORTAL_LINK_CHOICES, portal_link_module, portal_link_url

from .blocks import ContentStreamBlock, TileBlock
from .colours import contrast_ratio


class HomePage(Page):
    """The collectivity's home page: welcome text and tiles to the parents' spaces."""

    welcome_title = models.CharField(_("titre d’accueil"), max_length=200)
    welcome_text = RichTextField(_("texte d’accueil"), features=["bold", "italic", "link", "ul"])
    tiles = StreamField([("tile", TileBlock())], blank=True, verbose_name=_("tuiles"))

    content_panels = Page.content_panels + [
        FieldPanel("welcome_title"),
        FieldPanel("welcome_text"),
        FieldPanel("tiles"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms_pages.HelpIndexPage", "cms_pages.StandardPage"]
    max_count_per_parent = 1
    template = "cms_pages/home_page.html"

    class Meta:
        verbose_name = _("page d’accueil")


class HelpIndexPage(Page):
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms_pages.HomePage"]
    subpage_types = ["cms_pages.HelpGuidePage"]
    max_count_per_parent = 1
    template = "cms_pages/help_index_page.html"

    class Meta:
        verbose_name = _("index de l’aide")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["guides"] = HelpGuidePage.objects.child_of(self).live().public().specific()
        return context


class HelpGuidePage(Page):
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    body = StreamField(ContentStreamBlock(), verbose_name=_("contenu"))

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    parent_page_types = ["cms_pages.HelpIndexPage"]
    subpage_types: list[str] = []
    template = "cms_pages/help_guide_page.html"

    class Meta:
        verbose_name = _("guide d’aide")


class StandardPage(Page):
    """Terms of use, legal notice, privacy, accessibility statement, and the like."""

    body = StreamField(ContentStreamBlock(), verbose_name=_("contenu"))

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["cms_pages.HomePage"]
    subpage_types: list[str] = []
    template = "cms_pages/standard_page.html"

    class Meta:
        verbose_name = _("page standard")


# --- Per-site content settings: menus and branding.


class MenuItemBase(Orderable):
    label = models.CharField(
        _("libellé"), max_length=80, blank=True, help_text=_("Par défaut, le titre de la cible.")
    )
    link_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    portal_link = models.CharField(
        _("espace du portail"), max_length=30, choices=PORTAL_LINK_CHOICES, blank=True
    )
    external_url = models.URLField(_("adresse externe"), blank=True)

    panels = [
        FieldPanel("label"),
        FieldPanel("link_page"),
        FieldPanel("portal_link"),
        FieldPanel("external_url"),
    ]

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        targets = [bool(self.link_page_id), bool(self.portal_link), bool(self.external_url)]
        if sum(targets) != 1:
            raise ValidationError(
                _("Choisissez une seule cible : une page, un espace du portail ou une adresse.")
            )
        if self.external_url and not self.label:
            raise ValidationError({"label": _("Un libellé est nécessaire pour une adresse.")})

    @property
    def module(self) -> str | None:
        return portal_link_module(self.portal_link) if self.portal_link else None

    def resolve(self, collectivity, request=None) -> tuple[str, str] | None:
        """(label, url) of this entry, or None when it leads nowhere here."""
        if self.portal_link:
            url = portal_link_url(self.portal_link, collectivity)
            label = self.label or dict(PORTAL_LINK_CHOICES)[self.portal_link]
        elif self.link_page_id:
            page = self.link_page
            if not page.live:
                return None
            url, label = page.get_url(request), self.label or page.title
        else:
            url, label = self.external_url, self.label
        return (str(label), url) if url else None


class HeaderMenuItem(MenuItemBase):
    setting = ParentalKey(
        "cms_pages.NavigationSettings", on_delete=models.CASCADE, related_name="header_items"
    )


class FooterMenuItem(MenuItemBase):
    setting = ParentalKey(
        "cms_pages.NavigationSettings", on_delete=models.CASCADE, related_name="footer_items"
    )


@register_setting(icon="list-ul")
class NavigationSettings(ClusterableModel, BaseSiteSetting):
    """Header and footer menus of one site, and the pages the portal links to."""

    terms_page = models.ForeignKey(
        "cms_pages.StandardPage",
        verbose_name=_("conditions générales d’utilisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Page liée depuis le formulaire de création de compte."),
    )

    panels = [
        InlinePanel("header_items", label=_("Menu principal")),
        InlinePanel("footer_items", label=_("Pied de page")),
        FieldPanel("terms_page"),
    ]

    class Meta:
        verbose_name = _("menus")


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG 2.1 AA for normal text: white text on the main colour needs 4.5:1.
MIN_CONTRAST = 4.5


@register_setting(icon="image")
class BrandingSettings(BaseSiteSetting):
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    logo_alt = models.CharField(
        _("texte alternatif du logo"),
        max_length=150,
        blank=True,
        help_text=_("Par défaut, le nom de la collectivité."),
    )
    primary_colour = models.CharField(
        _("couleur principale"),
        max_length=7,
        default="#1f4e8c",
        help_text=_(
            "Au format #RRGGBB. Le texte blanc posé sur cette couleur doit rester lisible "
            "(contraste d’au moins 4,5:1, RGAA / WCAG AA)."
        ),
    )
    tagline = models.CharField(_("accroche"), max_length=150, blank=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("logo_alt"), FieldPanel("tagline")],
            heading=_("Identité"),
        ),
        FieldPanel("primary_colour"),
    ]

    class Meta:
        verbose_name = _("identité visuelle")

    def clean(self):
        super().clean()
        if not HEX_COLOUR.match(self.primary_colour or ""):
            raise ValidationError(
                {
                    "primary_colour": _(
                        "Indiquez une couleur au format #RRGGBB, par exemple #1f4e8c."
                    )
                }
            )
        ratio = contrast_ratio(self.primary_colour, "#ffffff")
        if ratio < MIN_CONTRAST:
            raise ValidationError(
                {
                    "primary_colour": _(
                        "Contraste insuffisant avec le texte blanc : %(ratio).2f:1 "
                        "(4,5:1 minimum). Choisissez une couleur plus foncée."
                    )
                    % {"ratio": ratio}
                }
            )

    @cached_property
    def primary_colour_dark(self) -> str:
        """A darker shade for hover and focus states."""
        value = self.primary_colour.lstrip("#")
        channels = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
        return "#" + "".join(f"{int(c * 0.75):02x}" for c in channels)
