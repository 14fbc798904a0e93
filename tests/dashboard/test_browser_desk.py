"""The regulator's desk in Chromium (issue 14): at 1440 x 900 the registry, the 30-day list and the
complaint desk are tables whose headers sort and whose pager pages; the nine-grid is coloured by
risk (高·较差 darker than 低·良好); nothing scrolls sideways at 1024 or 1440; at 390 x 844 the same
pages are the phone's cards and fit the phone. Screenshots go to /tmp/desk-*.png (zh and en)."""
import re
import tempfile
from pathlib import Path

import pytest

from tests import factories
from tests.browser import in_live, no_problems, pytestmark  # noqa: F401

SHOTS = Path(tempfile.gettempdir())
PAGES = {"registry": "/admin/shops", "plan": "/admin/plan", "complaints": "/admin/complaints",
         "dashboard": "/admin/dashboard"}
NAMES = ["海底捞", "阿娘面馆", "新旺茶餐厅", "鼎泰丰", "小杨生煎", "佳家汤包", "莱莱小笼", "沈大成", "王家沙", "光明邨"]


@pytest.fixture(scope="module")
def desk_data(live):
    """Enough shops for more than one page of each list (registry 30, 30-day list 50, desk 30),
    in two streets, with different names and registration dates, and complaints about them."""
    def build():
        shops = []
        for k in range(64):
            street = "徐家汇街道" if k % 2 else "天平路街道"
            shops.append(factories.make_shop(
                sign_name=f"{NAMES[k % len(NAMES)]}{k:02d}号店", street=street,
                registered_on=f"2024-{1 + k % 12:02d}-{1 + k % 27:02d}"))
        tickets = []
        for k in range(34):
            tickets.append(factories.make_complaint(shops[k], client_hash=f"desk-{k}",
                                     category=("food_safety", "hygiene", "price")[k % 3],
                                     status="forwarded" if k % 5 == 0 else None).ticket)
        return tickets[0]  # forwarded, about a shop nobody claimed
    live["forwarded"] = in_live(live, build)
    return live


def log_in(page, live, who: str) -> None:
    """The harness's log_in taps (a phone); a desk clicks."""
    page.goto(f"{live['base']}/login")
    page.fill("input[name=username]", live[who])
    page.fill("input[name=password]", factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/login" not in page.url, page.content()[:2000]


def _fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{page.url} is {scroll}px wide at {width}px"


def _first_cells(page, table, column=0):
    return page.eval_on_selector_all(
        f"{table} tbody tr", f"rows => rows.map(r => r.cells[{column}] ? r.cells[{column}].innerText.trim() : '')")


@pytest.mark.parametrize("name,table,header", [
    ("registry", "table.registry-table", "店招名称"),
    ("plan", "table.plan-table", "店招名称"),
    ("complaints", "table.desk-queue", "商铺"),
])
def test_desk_tables_sort_and_page(desktop, desk_data, name, table, header):
    live = desk_data
    log_in(desktop, live, "regulator")
    desktop.goto(live["base"] + PAGES[name])
    assert desktop.is_visible(table), f"{name}: no table at 1440 px"
    assert not desktop.is_visible("ul.desk-cards"), f"{name}: the phone's cards show on the desk"
    # the header stays on top while the table scrolls
    assert desktop.eval_on_selector(f"{table} thead th", "th => getComputedStyle(th).position") == "sticky"
    column = 1 if name == "complaints" else 0
    before = _first_cells(desktop, table, column)
    assert len(before) >= 20
    with desktop.expect_navigation():
        desktop.click(f"{table} thead th >> text={header}")
    assert "sort=" in desktop.url
    after = _first_cells(desktop, table, column)
    assert after != before, f"{name}: clicking {header} did not change the order"
    assert after == sorted(after) or after == sorted(after, reverse=True)
    with desktop.expect_navigation():  # again: the other direction
        desktop.click(f"{table} thead th >> text={header}")
    assert "dir=desc" in desktop.url or "dir=asc" in desktop.url
    flipped = _first_cells(desktop, table, column)
    assert flipped != after
    # next page keeps the sort
    sorted_url = desktop.url
    with desktop.expect_navigation():
        desktop.click("nav.desk-pager >> text=下一页")
    assert "page=2" in desktop.url and re.search(r"sort=\w+", desktop.url)
    assert re.search(r"sort=\w+", sorted_url).group(0) in desktop.url
    second = _first_cells(desktop, table, column)
    assert second and not set(second) & set(flipped)
    _fits(desktop, 1440)
    no_problems(desktop)


def test_nine_grid_darkest_where_riskiest(desktop, desk_data):
    live = desk_data
    log_in(desktop, live, "regulator")
    desktop.goto(live["base"] + PAGES["dashboard"])

    def lightness(cell):
        colour = desktop.eval_on_selector(f'#dash-ninegrid td[data-cell="{cell}"]',
                                          "td => getComputedStyle(td).backgroundColor")
        r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert lightness("高·较差") < lightness("中·一般") < lightness("低·良好")
    assert desktop.is_visible("#dash-figures")
    _fits(desktop, 1440)
    no_problems(desktop)


@pytest.mark.parametrize("width", [1024, 1440])
def test_no_sideways_scroll_on_a_desk(browser, desk_data, width):
    from tests.browser import _page

    context, page = _page(browser, {"viewport": {"width": width, "height": 900}, "locale": "zh-CN"})
    try:
        log_in(page, desk_data, "regulator")
        for path in PAGES.values():
            page.goto(desk_data["base"] + path)
            _fits(page, width)
        no_problems(page)
    finally:
        context.close()


def test_phone_keeps_the_cards(phone, desk_data):
    live = desk_data
    log_in(phone, live, "regulator")
    for name in ("registry", "plan", "complaints"):
        phone.goto(live["base"] + PAGES[name])
        assert phone.is_visible("ul.desk-cards"), name
        assert not phone.is_visible("div.desk-table-wrap table"), name
        _fits(phone, 390)
    phone.goto(live["base"] + PAGES["dashboard"])
    _fits(phone, 390)
    no_problems(phone)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots(browser, desk_data, lang):
    """Screenshots for the note (looked at by a person; the assertions are above)."""
    from tests.browser import DESK, PHONE, _page

    for label, options in (("1440", DESK), ("390", PHONE)):
        context, page = _page(browser, options)
        try:
            log_in(page, desk_data, "regulator")
            page.goto(f"{desk_data['base']}/lang/{lang}?next=/admin/shops")
            extra = {"complaint": f"/admin/complaints/{desk_data['forwarded']}", "draw": "/admin/draws/new"}
            for name, path in {**PAGES, **extra}.items():
                page.goto(desk_data["base"] + path)
                page.screenshot(path=str(SHOTS / f"desk-{name}-{label}-{lang}.png"), full_page=True)
                _fits(page, int(label))
            no_problems(page)
        finally:
            context.close()
