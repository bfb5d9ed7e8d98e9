"""Parent-side URLs of « Pièces justificatives », answering 404 when the collectivity's
documents module is off. The back office's are in ``pieces.admin.urls``."""

from django.urls import path

from portal.modules import Module, gate_patterns

from . import views

app_name = "pieces"

urlpatterns = gate_patterns(
    Module.DOCUMENTS,
    [
        path("famille/pieces-justificatives/", views.index, name="index"),
        path(
            "famille/pieces-justificatives/<int:type>/",
            views.family_document,
            name="family_document",
        ),
        path(
            "famille/pieces-justificatives/<int:type>/enfants/<int:child_id>/",
            views.child_document,
            name="child_document",
        ),
        path(
            "famille/pieces-justificatives/fichiers/<int:pk>/",
            views.file_download,
            name="file_download",
        ),
        path(
            "famille/pieces-justificatives/fichiers/<int:pk>/retirer/",
            views.file_remove,
            name="file_remove",
        ),
    ],
)
