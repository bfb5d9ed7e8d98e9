"""The billing back office (« Facturation » menu of the Wagtail admin, ``/admin/facturation/``)."""
