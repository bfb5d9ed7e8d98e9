"""Back-office URLs of the supporting documents, under ``/admin/pieces/`` (namespace
``pieces_admin``, registered in ``pieces/wagtail_hooks.py``), answering 404 when the
collectivity's documents module is off."""

from django.urls import path

from portal.modules import Module, gate_patterns

from . import review, types

urlpatterns = gate_patterns(
    Module.DOCUMENTS,
    [
        path("", review.queue, name="queue"),
        path("selection/", review.queue_bulk, name="queue_bulk"),
        path("documents/<int:pk>/", review.document_detail, name="document"),
        path("documents/<int:pk>/accepter/", review.document_accept_view, name="accept"),
        path("documents/<int:pk>/refuser/", review.document_refuse_view, name="refuse"),
        path("fichiers/<int:pk>/", review.file_inline, name="file_inline"),
        path("fichiers/<int:pk>/telecharger/", review.file_download, name="file_download"),
        path("familles/<int:pk>/papier/", review.paper_add, name="paper_add"),
        path("types/", types.types, name="types"),
        path("types/ajouter/", types.type_add, name="type_add"),
        path("types/<int:pk>/", types.type_edit, name="type_edit"),
    ],
)
