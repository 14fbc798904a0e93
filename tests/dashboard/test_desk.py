"""The regulator's desk (issue 14) without a browser: sorting and paging parameters of the three
lists (whitelisted keys, unknown ones ignored, never a 500, links keep filters, stable order), the
30-day list sorted in SQL the same on both paths, the nine-grid coloured by risk, the change record
in words, errors naming shops and streets, 回避 picked from a list and the unclaimed-shop warning."""
import re
from datetime import timedelta

import pytest

from huishang.extensions import db
from huishang.models import Rectification, Review
from huishang.models.base import today as district_today
from huishang.services import grading, planning
from huishang.services.core import audit
from tests.factories import (
    add_inspection,
    make_complaint,
    make_inspector,
    make_merchant,
    make_regulator,
    make_shop,
)

TODAY = district_today()
NAMES = ["鼎泰丰", "阿娘面馆", "海底捞", "光明邨", "小杨生煎", "王家沙", "佳家汤包"]


def shops(n=7, street="徐家汇街道"):
    return [make_shop(sign_name=f"{NAMES[k % len(NAMES)]}{k}", street=street,
                      registered_on=f"2024-0{1 + k % 9}-1{k % 9}") for k in range(n)]


def table_column(html: str, table_class: str, column: int = 0) -> list[str]:
    """The text of one column of a desk table (tags stripped)."""
    table = html.split(f'class="desk-table {table_class}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [re.sub(r"<[^>]+>|\s+", " ", c[column]).strip() for c in cells if len(c) > column]


# -- sorting and paging -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/admin/shops", "/admin/plan", "/admin/complaints"])
@pytest.mark.parametrize("query", ["sort=bogus", "sort=name;drop table shops&dir=up", "dir=sideways",
                                   "page=abc", "page=-3", "page=0", "sort=&dir=", "page=99999999999999999999"])
def test_bad_sort_and_page_are_ignored_never_a_500(client, login_as, url, query):
    shops(3)
    login_as(make_regulator())
    r = client.get(f"{url}?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]


def test_registry_sorts_by_whitelisted_columns_and_keeps_filters(client, login_as):
    made = shops(7)
    shops(2, street="天平路街道")
    login_as(make_regulator())
    default = table_column(client.get("/admin/shops?street=徐家汇街道").get_data(as_text=True), "registry-table")
    assert default == [s.sign_name for s in reversed(made)]  # newest first
    html = client.get("/admin/shops?street=徐家汇街道&sort=name&dir=asc").get_data(as_text=True)
    names = table_column(html, "registry-table")
    assert names == sorted(s.sign_name for s in made)
    desc = table_column(client.get("/admin/shops?street=徐家汇街道&sort=name&dir=desc").get_data(as_text=True),
                        "registry-table")
    assert desc == list(reversed(names))
    # an unknown key is the default order, not an error
    assert table_column(client.get("/admin/shops?street=徐家汇街道&sort=password_hash").get_data(as_text=True),
                        "registry-table") == default
    # the header links keep the filter and flip the direction of the current sort
    header = re.search(r'<th[^>]*aria-sort="ascending"[^>]*><a class="sort-link" href="([^"]+)"', html).group(1)
    assert "street=" in header and "sort=name" in header and "dir=desc" in header


def test_registry_pages_keep_sort_and_filters(client, login_as, monkeypatch):
    from huishang.admin import pages

    monkeypatch.setattr(pages, "PER_PAGE", 3)
    made = shops(7)
    login_as(make_regulator())
    seen = []
    url = "/admin/shops?street=徐家汇街道&sort=name&dir=asc"
    for _ in range(3):
        html = client.get(url).get_data(as_text=True)
        seen += table_column(html, "registry-table")
        nxt = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
        if not nxt:
            break
        url = nxt.group(1).replace("&amp;", "&")
        assert "sort=name" in url and "street=" in url
    assert seen == sorted(s.sign_name for s in made)


@pytest.mark.parametrize("refreshed", [False, True], ids=["general query", "fast path"])
@pytest.mark.parametrize("sort", ["shop", "due", "street", "status", "priority"])
def test_plan_sorted_in_sql_same_on_both_paths(sort, refreshed):
    made = shops(6) + shops(3, street="天平路街道")
    add_inspection(made[0], TODAY - timedelta(days=170), "pass")
    if refreshed:
        grading.refresh_all()
    db.session.commit()
    assert planning.fast_path_applies(TODAY, planning.stale_ids(TODAY)) == refreshed
    for descending in (False, True):
        page, total = planning.plan_page(TODAY, 30, None, limit=4, offset=0, sort=sort, descending=descending)
        everything, _ = planning.plan_page(TODAY, 30, None, sort=sort, descending=descending, fast=False)
        assert total == len(everything) == 9
        assert [i.shop_id for i in page] == [i.shop_id for i in everything[:4]]
        rest, _ = planning.plan_page(TODAY, 30, None, limit=10, offset=4, sort=sort, descending=descending)
        assert [i.shop_id for i in page + rest] == [i.shop_id for i in everything]
        if sort == "shop":
            names = [i.sign_name for i in everything]
            assert names == sorted(names, reverse=descending)
        if sort == "due":
            dues = [i.due_on for i in everything]
            assert dues == sorted(dues, reverse=descending)
    default, _ = planning.plan_page(TODAY, 30, None)
    assert [i.shop_id for i in planning.plan_page(TODAY, 30, None, sort="nonsense")[0]] == [
        i.shop_id for i in default]


def test_plan_page_table_sorts_by_shop(client, login_as):
    made = shops(5)
    login_as(make_regulator())
    html = client.get("/admin/plan?sort=shop&dir=asc&street=徐家汇街道").get_data(as_text=True)
    names = [cell.split(" ")[0] for cell in table_column(html, "plan-table")]
    assert names == sorted(s.sign_name for s in made)
    assert 'aria-sort="ascending"' in html


def test_complaint_desk_sorts_by_shop_and_pages(client, login_as, monkeypatch):
    from huishang.admin import complaints

    monkeypatch.setattr(complaints, "PER_PAGE", 2)
    made = shops(5)
    for k, shop in enumerate(made):
        make_complaint(shop, client_hash=f"c{k}")
    login_as(make_regulator())
    seen, url = [], "/admin/complaints?sort=shop&dir=desc"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [cell.split(" ")[0] for cell in table_column(html, "desk-queue", 1)]
        nxt = re.search(r'rel="next" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert seen == sorted((s.sign_name for s in made), reverse=True)


# -- nine-grid ----------------------------------------------------------------------------------------

def test_nine_grid_coloured_by_risk_not_by_count(client, login_as):
    shops(4)  # all 中·一般 (new, never inspected): the count is highest in a middle cell
    login_as(make_regulator())
    html = client.get("/admin/dashboard").get_data(as_text=True)
    cell = {m.group(2): m.group(1) for m in re.finditer(r'class="ng-cell ng-risk-(\d)" data-cell="([^"]+)"', html)}
    assert cell["高·较差"] == "4" and cell["低·良好"] == "0" and cell["中·一般"] == "2"
    assert "ng-heat-" not in html
    assert 'id="dash-figures"' in html


# -- words, not keys ----------------------------------------------------------------------------------

RAW = ("food_safety", "closed_by_inspection_id", "inspection_id", ">visible<", "：visible", "anonymous", "cli<",
       "assignee_id", "category：", "状态：visible")


def test_change_record_shows_words(client, login_as):
    shop = make_shop(sign_name="老弄堂生煎")
    reg = make_regulator()
    make_complaint(shop)  # category food_safety, recorded from the command line ("cli")
    inspection = add_inspection(shop, TODAY - timedelta(days=40), "partial", deadline=TODAY - timedelta(days=30))
    rect = db.session.query(Rectification).filter_by(inspection_id=inspection.id).one()
    closing = add_inspection(shop, TODAY - timedelta(days=20), "pass")
    audit.record("rectification.close", rect, after={"closed_on": TODAY.isoformat(),
                                                     "closed_by_inspection_id": closing.id})
    review = Review(shop_id=shop.id, stars=2, text="一般", status="hidden", client_hash="r", ip_hash="r")
    db.session.add(review)
    db.session.flush()
    token = audit.bind(audit.Origin(label="anonymous"))
    try:
        audit.record("review.hide", review, before={"status": "visible"}, after={"status": "hidden"})
    finally:
        audit.unbind(token)
    audit.record("plan.assign", rect, actor=reg, after={"inspector_id": reg.id, "mystery_key": "x"})
    db.session.commit()
    login_as(reg)
    html = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    trail = html.split('id="audit"', 1)[1]
    for raw in RAW + ("mystery_key",):
        assert raw not in trail, raw
    assert "食品安全" in trail and "匿名市民" in trail and "系统命令行" in trail
    assert f"由 {closing.inspected_on.isoformat()} 的检查关闭" in trail
    assert "可见" in trail and "已隐藏" in trail
    assert reg.label in trail


def test_change_record_in_english(client, login_as):
    shop = make_shop()
    make_complaint(shop)
    login_as(make_regulator())
    html = client.get(f"/admin/shops/{shop.code}?lang=en").get_data(as_text=True)
    trail = html.split('id="audit"', 1)[1]
    assert "Food safety" in trail and "Command line" in trail
    assert "food_safety" not in trail and ">cli<" not in trail


def test_desk_pages_render_no_raw_keys(client, login_as):
    made = shops(3)
    make_complaint(made[0], status="forwarded")
    login_as(make_regulator())
    for url in ("/admin/shops", "/admin/plan", "/admin/complaints", "/admin/dashboard"):
        html = client.get(url).get_data(as_text=True)
        text = re.sub(r"<[^>]+>", " ", html)  # what is on screen, not attribute values
        for raw in ("food_safety", "visible", "closed_by_inspection_id", "forwarded", "catering.fast_food"):
            assert raw not in text, (url, raw)


def test_draw_error_names_the_shop_and_street_not_an_id(client, login_as):
    from tests.grading.test_draws import population

    shops_a = population(2, 0)["A"]
    make_inspector()  # one inspector: fewer than two to draw from
    login_as(make_regulator())
    r = client.post("/admin/draws/new", data={"title": "测", "credit_classes": ["A"], "ratio.A": "100"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "inspectors：" not in html and "商铺 " + str(shops_a[0].id) not in html
    assert any(s.sign_name in html for s in shops_a) and "徐家汇街道" in html
    assert "执法人员：" in html


def test_draw_exclusions_picked_from_a_list(client, login_as):
    from huishang.models import RandomDraw
    from tests.grading.test_draws import population

    shop = population(1, 0)["A"][0]
    a, b, c = (make_inspector() for _ in range(3))
    a.display_name = "张检查"
    db.session.commit()
    login_as(make_regulator())
    page = client.get("/admin/draws/new").get_data(as_text=True)
    assert 'name="exclusion_inspector"' in page and ">张检查</option>" in page
    assert 'name="exclusions"' not in page  # no typed usernames
    r = client.post("/admin/draws/new", data={
        "title": "回避", "credit_classes": ["A"], "ratio.A": "100", "seed": "x",
        "exclusion_inspector": [a.username, ""], "exclusion_shop": [shop.code, ""]})
    assert r.status_code == 302, r.get_data(as_text=True)
    draw = db.session.query(RandomDraw).filter_by(title="回避").one()
    assert draw.exclusions == [[a.id, shop.id]]
    assert a.id not in (draw.targets[0].inspector_id, draw.targets[0].co_inspector_id)
    half = client.post("/admin/draws/new", data={"credit_classes": ["A"], "ratio.A": "100",
                                                 "exclusion_inspector": [b.username], "exclusion_shop": [""]})
    assert half.status_code == 422 and "第1行" in half.get_data(as_text=True)
    assert c  # a third inspector keeps two to draw from


# -- the unclaimed shop ----------------------------------------------------------------------------

def test_forwarded_complaint_of_an_unclaimed_shop_warns_the_desk(client, login_as):
    lone, claimed = make_shop(sign_name="无人认领店"), make_shop(sign_name="有主店")
    make_merchant(shops=[claimed])
    c1 = make_complaint(lone, status="forwarded", client_hash="u1")
    c2 = make_complaint(claimed, status="forwarded", client_hash="u2")
    login_as(make_regulator())
    warned = client.get(f"/admin/complaints/{c1.ticket}").get_data(as_text=True)
    assert 'id="unclaimed"' in warned and "没有人能在商户端答复" in warned
    assert f"/admin/shops/{lone.code}/inspections/new" in warned  # an alternative: inspect on site
    assert 'id="unclaimed"' not in client.get(f"/admin/complaints/{c2.ticket}").get_data(as_text=True)
    queue = client.get("/admin/complaints").get_data(as_text=True)
    assert queue.count("商铺未认领，商户端无人答复") == 2  # card and table row of the lone shop only
