"""The city's front door on a desktop and on a 390×844 phone: the header folds into a menu,
no page scrolls sideways, and a resident searches from the front page, finds a place and books."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px window"


def test_on_a_phone_the_header_folds_into_a_menu_that_works_by_keyboard(page, member, log_in, screenshot):
    page.set_viewport_size(PHONE)
    log_in(page, member)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    facilities = nav.get_by_role("link", name="Facilities")
    expect(facilities).to_be_hidden()
    header_height = page.locator(".site-header").bounding_box()["height"]
    assert header_height < 844 / 8, f"the folded header is {header_height} px high"
    screenshot(page, "front-phone-header-closed")

    # Keyboard: tab from the skip link and the brand to the menu switch, space opens it.
    menu = page.get_by_role("checkbox", name="Menu")
    menu.focus()
    page.keyboard.press("Space")
    expect(facilities).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "front-phone-header-open")
    facilities.click()
    expect(page.get_by_role("heading", name="Facilities", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Facilities")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 800])
def test_on_a_desktop_the_header_shows_everything(page, member, log_in, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, member)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Facilities")).to_be_visible()
    expect(page.locator(".menu-button")).to_be_hidden()
