"""Locators shared by the browser journeys."""


def slot_link(page, slot, child):
    """The slot's link the parent sees: the grid's on wide screens, the agenda's on narrow
    ones (both are in the page; the stylesheet hides one).

    Waits for the page's ``load`` event first: until the stylesheets have arrived, the grid
    and the agenda are both displayed and ``:visible`` matches two links. A click that
    submits a form returns once the next page has begun, not once its styles are in, so
    under load the locator could run before them (seen once in CI)."""
    page.wait_for_load_state("load")
    return page.locator(
        f'a.slot__link[href^="/famille/planning/creneau/{slot.pk}/{child.pk}/"]:visible'
    )
