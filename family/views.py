from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def family_space(request):
    """« Espace famille »: the families this account is subscribed to, here."""
    families = request.scope.families
    return render(request, "family/space.html", {"families": families})
