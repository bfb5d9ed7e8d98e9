"""Pages every back-office view of the family app shares."""

from django.shortcuts import render


def confirm_page(
    request, *, title, message, action_url, submit_label, cancel_url, danger=False, extra=None
):
    """A plain confirmation page (a POST form), so that no action needs JavaScript."""
    return render(
        request,
        "family/admin/confirm.html",
        {
            "page_title": title,
            "header_icon": "warning" if danger else "group",
            "message": message,
            "extra": extra or [],
            "action_url": action_url,
            "submit_label": submit_label,
            "cancel_url": cancel_url,
            "danger": danger,
        },
    )
