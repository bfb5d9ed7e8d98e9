from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("titre"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("niveau"),
        choices=[("h2", _("Titre de section")), ("h3", _("Sous-titre"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("Titre")
        template = "blocks/heading.html"


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("étape"), max_length=200)
    text = blocks.RichTextBlock(label=_("explications"), features=["bold", "italic", "link", "ul"])


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("type"),
        choices=[("info", _("Information")), ("tip", _("Conseil")), ("warning", _("Attention"))],
        default="info",
    )
    title = blocks.CharBlock(label=_("titre"), max_length=200, required=False)
    text = blocks.RichTextBlock(label=_("texte"), features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "warning"
        label = _("Encadré")
        template = "blocks/callout.html"


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("question"), max_length=300)
    answer = blocks.RichTextBlock(
        label=_("réponse"), features=["bold", "italic", "link", "ul", "ol"]
    )


RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "ul", "ol", "document-link"]


class ContentStreamBlock(blocks.StreamBlock):
    """The blocks of help guides and standard pages."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Texte"), features=RICH_TEXT_FEATURES, template="blocks/paragraph.html"
    )
    image = ImageBlock(label=_("Image"), template="blocks/image.html")
    steps = blocks.ListBlock(
        StepBlock(), label=_("Étapes numérotées"), template="blocks/steps.html", icon="list-ol"
    )
    callout = CalloutBlock()
    faq = blocks.ListBlock(
        QuestionBlock(), label=_("Questions et réponses"), template="blocks/faq.html", icon="help"
    )


class TileBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre"), max_length=80)
    text = blocks.CharBlock(label=_("texte"), max_length=200, required=False)
    target = blocks.ChoiceBlock(
        label=_("destination"),
        choices=[
            ("account_space", _("Mon espace citoyen")),
            ("family_space", _("Espace famille")),
            ("billing_space", _("Espace facturation")),
            ("help", _("Aide")),
        ],
    )

    class Meta:
        icon = "link"
        label = _("Tuile")
