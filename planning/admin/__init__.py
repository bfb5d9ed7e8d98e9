"""Back office of the planning app (Wagtail admin, ``/admin/enfance/``): the views and
their URLs (``planning.admin.urls``, namespace ``planning_admin``)."""
