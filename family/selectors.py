from .models import Family


def families_for_user(*, user, collectivity):
    """The families ``user`` is subscribed to in ``collectivity`` (a queryset)."""
    if not user.is_authenticated:
        return Family.objects.none()
    return Family.objects.filter(collectivity=collectivity, subscriptions__user=user).distinct()
