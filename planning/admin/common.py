"""What the back-office pages of the planning app share: Wagtail's generic page layout. (The
steps of a decision view are in ``portal.views_helpers``, shared with the family queues.)"""

from django.shortcuts import render


def admin_page(request, template: str, *, page_title, header_icon, http_status=200, **context):
    """A back-office page in Wagtail's generic layout (its title and header icon)."""
    context = {"page_title": page_title, "header_icon": header_icon, **context}
    return render(request, template, context, status=http_status)
