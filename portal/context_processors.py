from .modules import enabled_modules


def collectivity(request):
    current = getattr(request, "collectivity", None)
    return {
        "collectivity": current,
        "modules": enabled_modules(current) if current is not None else {},
    }
