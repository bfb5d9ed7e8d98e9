"""URL patterns (filled by the module's owner); included by planning/urls.py or admin_urls.py."""

urlpatterns: list = []
