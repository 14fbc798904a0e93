"""The merchant's home on a phone (issue 17): the tasks come first, in words and soonest first —
a complaint to answer with its clock, a rectification due, a licence and health certificates
expiring — then the shops; a self-check goes "全部符合" in one tap."""
from datetime import timedelta

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Licence, SelfCheck, Shop, Staff, today
from tests import factories
from tests.browser import fits_the_phone, in_live, log_in, no_problems, pytestmark, tap_and_wait  # noqa: F401


def _set_up(live):
    def work():
        shop = db.session.scalar(select(Shop).where(Shop.code == live["shop"]))
        on = today()
        factories.make_complaint(shop, status="forwarded", forwarded_on=on - timedelta(days=5),
                                 merchant_due_on=on - timedelta(days=2))
        factories.add_inspection(shop, on - timedelta(days=10), "partial", deadline=on + timedelta(days=3))
        db.session.add(Licence(shop_id=shop.id, number="JY13101040000001", expires_on=on + timedelta(days=20)))
        db.session.add(Staff(shop_id=shop.id, name="王小明", health_cert_no="HC-1",
                             health_cert_expires=on + timedelta(days=5)))
        db.session.commit()
        return shop.sign_name
    return in_live(live, work)


def test_the_merchant_sees_tasks_in_words_first_and_self_checks_all_compliant(live, phone):
    sign_name = _set_up(live)
    page = phone
    log_in(page, live, "merchant")
    assert page.url.rstrip("/").endswith("/merchant")
    tasks = page.locator("#tasks li.task")
    assert tasks.count() >= 4, page.inner_text("main")[:1500]
    texts = tasks.all_inner_texts()
    late = [n for n, t in enumerate(texts) if "已逾期" in t]
    assert late == list(range(len(late))), texts  # the late ones first
    complaint = next(t for t in texts if "答复顾客投诉" in t)
    assert "已逾期 2 天" in complaint and "食品安全" in complaint, texts
    assert "做一次自查" in texts[0], "never self-checked since 2024: the latest task"
    joined = "\n".join(texts)
    assert "完成整改并报告" in joined and "还剩 3 天" in joined
    assert "办理许可证延续" in joined and "还剩 20 天" in joined
    assert "更新 1 名员工的健康证" in joined and "还剩 5 天" in joined
    assert "王小明" not in joined, "the task list names no employee"
    main = page.inner_text("main")
    assert main.index("待办事项") < main.index(sign_name + " "), "tasks before the shops"
    for n in range(tasks.count()):
        assert tasks.nth(n).locator("a").bounding_box()["height"] >= 44
    fits_the_phone(page)

    # the complaint task opens the complaint to answer
    tap_and_wait(page, page.locator("#tasks li.task-complaint a"))
    assert "/merchant/complaints/" in page.url

    # a self-check: 全部符合 in one tap, then submit
    page.goto(f"{live['base']}/merchant/shops/{live['shop']}/self-checks/new")
    page.get_by_role("button", name="全部符合").tap()
    assert page.locator("fieldset.answer input[value=pass]:checked").count() == page.locator("fieldset.answer").count()
    tap_and_wait(page, page.get_by_role("button", name="提交自查"))
    assert "/self-checks/" in page.url and "/new" not in page.url, page.inner_text("main")[:800]

    def checks():
        shop = db.session.scalar(select(Shop).where(Shop.code == live["shop"]))
        return db.session.scalars(select(SelfCheck).where(SelfCheck.shop_id == shop.id)).all()
    assert len(in_live(live, checks)) == 1
    page.goto(f"{live['base']}/merchant/")
    assert "做一次自查" not in page.inner_text("#tasks"), "a self-check done is no longer a task"
    no_problems(page)


def test_the_login_page_links_to_registration_and_the_faq(live, phone):
    page = phone
    page.goto(f"{live['base']}/login")
    register = page.get_by_role("link", name="商户注册（用认领码）")
    faq = page.get_by_role("link", name="常见问题")
    assert register.bounding_box()["height"] >= 44 and faq.bounding_box()["height"] >= 44
    tap_and_wait(page, faq)
    assert page.url.endswith("/faq")
    no_problems(page)
