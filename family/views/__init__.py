"""Parents' pages of the family app (their URLs are in ``family.urls``)."""
