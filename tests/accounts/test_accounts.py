"""Accounts (issue 14): the first-run page, the accounts page, temporary passwords, last login,
who manages whose account, the audit trail, and /api/v1/users."""
import re

import pytest
from flask import g
from flask_babel import refresh
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, User
from huishang.services import Conflict, accounts
from tests.factories import (
    PASSWORD,
    make_admin,
    make_inspector,
    make_merchant,
    make_property,
    make_regulator,
    make_shop,
)


def users_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def fresh(client_factory):
    g.pop("_login_user", None)
    refresh()
    return client_factory()


# -- first run --------------------------------------------------------------------------------


def test_login_on_an_empty_database_offers_the_administrator_form(client):
    html = client.get("/login").get_data(as_text=True)
    assert "创建区管理员" in html and 'action="/setup"' in html
    assert client.get("/setup").status_code == 200


def test_the_first_run_page_creates_the_administrator_once(client):
    r = client.post("/setup", data={"username": "admin", "display_name": "区市场监管局 张三",
                                    "password": "first-run-pass", "password_confirm": "first-run-pass"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.role == "regulator" and admin.is_admin and admin.account_role == "admin" and not admin.streets
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.after["role"] == "admin" and "password" not in str(event.after)
    # afterwards: no more first-run page, the login form instead
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data={"username": "again", "password": "x" * 10,
                                       "password_confirm": "x" * 10}).status_code == 404
    assert "创建区管理员" not in client.get("/login").get_data(as_text=True)
    assert users_count() == 1
    assert login(client, "admin", "first-run-pass").status_code == 302


def test_the_first_run_page_refuses_bad_input_naming_the_field(client):
    r = client.post("/setup", data={"username": "", "password": "short", "password_confirm": "other"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "<strong>用户名</strong>" in html and "<strong>密码</strong>" in html
    assert "username" not in re.sub(r'name="username"|autocomplete="username"', "", html)
    assert users_count() == 0


def test_the_first_run_page_is_gone_once_any_account_exists(client):
    make_inspector()
    assert client.get("/setup").status_code == 404
    assert 'name="password"' in client.get("/login").get_data(as_text=True)
    assert "创建区管理员" not in client.get("/login").get_data(as_text=True)


def test_setup_refuses_an_unmigrated_database(runner):
    """The test database is built with create_all: setup says to run `flask db upgrade` first."""
    result = runner.invoke(args=["setup", "--username", "admin", "--password-stdin"], input="a-good-pass\n")
    assert result.exit_code != 0 and "db upgrade" in result.output
    assert users_count() == 0


# -- the accounts page ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(app):
    admin = make_admin(username="district-admin")
    client = app.test_client()
    assert login(client, admin.username).status_code == 302
    return client


def test_the_accounts_page_lists_accounts_in_words(admin_client):
    shop = make_shop(street="徐家汇街道")
    make_inspector(streets=("徐家汇街道",), username="chen")
    make_merchant(shops=[shop], username="boss")
    make_property("港汇恒隆广场", username="pm")
    html = admin_client.get("/admin/accounts").get_data(as_text=True)
    for words in ("区管理员", "执法人员", "经营者", "物业", "徐家汇街道", shop.sign_name, "港汇恒隆广场", "从未登录"):
        assert words in html, words
    assert ">inspector<" not in html and ">merchant<" not in html
    assert "账户管理" in html  # the nav link
    assert "chen" in admin_client.get("/admin/accounts?role=inspector&street=徐家汇街道").get_data(as_text=True)
    assert "chen" not in admin_client.get("/admin/accounts?role=merchant").get_data(as_text=True)
    assert "chen" not in admin_client.get("/admin/accounts?street=华泾镇").get_data(as_text=True)
    assert "chen" in admin_client.get("/admin/accounts?q=che&active=1").get_data(as_text=True)
    assert "chen" not in admin_client.get("/admin/accounts?active=0").get_data(as_text=True)


def test_the_admin_creates_an_account_and_refuses_duplicates(admin_client):
    data = {"username": "chen", "display_name": "执法人员 陈磊", "role": "inspector", "streets": ["徐家汇街道"],
            "password": "temp-pass-1", "password_confirm": "temp-pass-1", "temporary": "1"}
    r = admin_client.post("/admin/accounts/new", data=data)
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "chen"))
    assert user.role == "inspector" and [s.name for s in user.streets] == ["徐家汇街道"] and user.must_change_password
    r = admin_client.post("/admin/accounts/new", data={**data, "username": "CHEN"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "<strong>用户名</strong>" in html and "用户名已存在" in html
    assert 'value="CHEN"' in html  # the form is shown again with what was typed
    assert users_count() == 2


@pytest.mark.parametrize("changes,field", [
    ({"role": "boss"}, "角色"),
    ({"streets": ["不存在街道"]}, "街道"),
    ({"password": "short", "password_confirm": "short"}, "密码"),
    ({"password_confirm": "mistyped-1"}, "再次输入密码"),
    ({"role": "property"}, "商业综合体"),
    ({"role": "merchant", "shops": "XH0000000"}, "商铺"),
])
def test_bad_input_reshows_the_form_naming_the_field(admin_client, changes, field):
    data = {"username": "newbie", "role": "inspector", "streets": ["徐家汇街道"],
            "password": "good-pass-1", "password_confirm": "good-pass-1", **changes}
    r = admin_client.post("/admin/accounts/new", data=data)
    assert r.status_code == 422, r.status_code
    assert f"<strong>{field}</strong>" in r.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "newbie")) is None


def test_deactivate_and_reactivate(admin_client, app):
    chen = make_inspector(username="chen")
    other = app.test_client()
    assert login(other, "chen").status_code == 302
    assert admin_client.post(f"/admin/accounts/{chen.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(chen)
    assert not chen.active
    assert other.get("/admin/shops").status_code == 302  # its session ended
    assert login(app.test_client(), "chen").status_code == 401
    admin_client.post(f"/admin/accounts/{chen.id}/active", data={"active": "1"})
    db.session.refresh(chen)
    assert chen.active
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(chen.id))
                                      .order_by(AuditEvent.id)))
    assert actions[-2:] == ["user.deactivate", "user.reactivate"]


def test_the_admin_cannot_lock_itself_out(admin_client):
    me = db.session.scalar(select(User).where(User.username == "district-admin"))
    admin_client.post(f"/admin/accounts/{me.id}/active", data={"active": "0"})
    r = admin_client.post(f"/admin/accounts/{me.id}", data={"role": "regulator"})
    assert r.status_code == 422 and "<strong>角色</strong>" in r.get_data(as_text=True)
    db.session.refresh(me)
    assert me.active and me.is_admin


def test_editing_an_account_is_audited_before_and_after(admin_client):
    chen = make_inspector(username="chen", streets=("徐家汇街道",))
    r = admin_client.post(f"/admin/accounts/{chen.id}", data={"display_name": "陈磊", "role": "inspector",
                                                               "streets": ["徐家汇街道", "华泾镇"]})
    assert r.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.before == {"display_name": "chen", "streets": ["徐家汇街道"]}
    assert event.after == {"display_name": "陈磊", "streets": ["华泾镇", "徐家汇街道"]}
    assert event.actor_label == "district-admin"


def test_a_reset_password_is_shown_once_and_must_be_changed(admin_client, app):
    chen = make_inspector(username="chen")
    r = admin_client.post(f"/admin/accounts/{chen.id}/password")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    temp = re.search(r'class="temp-password"><code>([^<]+)</code>', r.get_data(as_text=True)).group(1)
    assert len(temp) == accounts.TEMP_LENGTH
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
    assert temp not in str(event.after) and temp not in str(event.before)
    assert login(app.test_client(), "chen", PASSWORD).status_code == 401  # the old password is gone

    user_client = app.test_client()
    r = login(user_client, "chen", temp)
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    for path in ("/admin/shops", "/admin/inspections", "/"):
        r = user_client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/account/password"), path
    r = user_client.get("/admin/shops", headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.get_json()["errors"]["password"]
    r = user_client.post("/account/password", data={"current_password": temp, "password": temp,
                                                    "password_confirm": temp})
    assert r.status_code == 422 and "<strong>密码</strong>" in r.get_data(as_text=True)
    r = user_client.post("/account/password", data={"current_password": temp, "password": "my-own-pass",
                                                    "password_confirm": "my-own-pass"})
    assert r.status_code == 302
    assert user_client.get("/admin/shops").status_code == 200  # still signed in, free to go
    db.session.refresh(chen)
    assert not chen.must_change_password and chen.check_password("my-own-pass")


def test_a_temporary_password_refuses_the_api_until_changed(app, client, auth_header):
    chen = make_inspector(username="chen")
    admin = make_admin()
    accounts.reset_password(chen, actor=admin)
    db.session.commit()
    r = client.get("/api/v1/shops", headers=auth_header(chen))
    assert r.status_code == 403 and "password" in r.get_json()["errors"]


def test_login_records_the_last_login(client):
    chen = make_inspector(username="chen")
    assert chen.last_login_at is None
    login(client, "chen")
    db.session.refresh(chen)
    assert chen.last_login_at is not None


# -- who manages whose account --------------------------------------------------------------------


def test_a_street_regulator_manages_only_its_streets_inspectors_and_merchants(app):
    inside, outside = make_shop(street="徐家汇街道"), make_shop(street="华泾镇")
    mine = make_inspector(streets=("徐家汇街道",), username="mine")
    straddling = make_inspector(streets=("徐家汇街道", "华泾镇"), username="straddling")
    theirs = make_inspector(streets=("华泾镇",), username="theirs")
    merchant_in = make_merchant(shops=[inside], username="m-in")
    merchant_out = make_merchant(shops=[outside], username="m-out")
    peer = make_regulator(streets=("徐家汇街道",), username="peer")
    make_property(username="pm")
    make_admin(username="boss")
    make_regulator(streets=("徐家汇街道",), username="xjh-reg")
    client = app.test_client()
    assert login(client, "xjh-reg").status_code == 302
    html = client.get("/admin/accounts").get_data(as_text=True)
    assert "账户管理" in html
    for name in ("mine", "m-in"):
        assert f"<strong>{name}</strong>" in html, name
    for name in ("straddling", "theirs", "m-out", "peer", "pm", "boss", "xjh-reg"):
        assert f"<strong>{name}</strong>" not in html, name
    for user in (straddling, theirs, merchant_out, peer):
        assert client.get(f"/admin/accounts/{user.id}").status_code == 404
        assert client.post(f"/admin/accounts/{user.id}/password").status_code == 404
    assert client.post(f"/admin/accounts/{mine.id}/password").status_code == 200
    assert client.post(f"/admin/accounts/{merchant_in.id}/active", data={"active": "0"}).status_code == 302
    # creating: its streets' inspectors and merchants only
    base = {"password": "good-pass-1", "password_confirm": "good-pass-1"}
    r = client.post("/admin/accounts/new", data={**base, "username": "n1", "role": "inspector",
                                                 "streets": ["华泾镇"]})
    assert r.status_code == 403 and "<strong>街道</strong>" in r.get_data(as_text=True)
    r = client.post("/admin/accounts/new", data={**base, "username": "n2", "role": "regulator"})
    assert r.status_code == 403 and "<strong>角色</strong>" in r.get_data(as_text=True)
    r = client.post("/admin/accounts/new", data={**base, "username": "n3", "role": "inspector",
                                                 "streets": ["徐家汇街道"]})
    assert r.status_code == 302
    # and cannot move its inspector out of its streets
    r = client.post(f"/admin/accounts/{mine.id}", data={"role": "inspector", "streets": ["华泾镇"]})
    assert r.status_code == 403
    db.session.refresh(mine)
    assert [s.name for s in mine.streets] == ["徐家汇街道"]
    assert {u for u in ("n1", "n2") if db.session.scalar(select(User).where(User.username == u))} == set()


@pytest.mark.parametrize("who", ["district regulator", "inspector"])
def test_others_do_not_manage_accounts(app, who):
    user = make_regulator(username="dr") if who == "district regulator" else make_inspector(username="dr")
    client = app.test_client()
    login(client, user.username)
    assert client.get("/admin/accounts").status_code == 403
    assert client.post("/admin/accounts/new", data={"username": "x"}).status_code == 403
    assert "账户管理" not in client.get("/admin/shops").get_data(as_text=True)


# -- /api/v1/users ----------------------------------------------------------------------------------


def test_the_users_api_is_for_administrators(client, auth_header):
    admin = make_admin()
    for user in (make_regulator(), make_regulator(streets=("徐家汇街道",)), make_inspector()):
        for method, url in (("GET", "/api/v1/users"), ("POST", "/api/v1/users"),
                            ("GET", f"/api/v1/users/{admin.id}"), ("PATCH", f"/api/v1/users/{admin.id}")):
            g.pop("_login_user", None)
            r = client.open(url, method=method, headers=auth_header(user), json={})
            assert r.status_code == 403 and r.get_json()["code"] == 403, (user.role, method, url)


def test_the_users_api_creates_lists_and_changes_accounts(client, auth_header):
    admin = make_admin()
    h = auth_header(admin)
    body = {"username": "api-chen", "role": "inspector", "password": "api-pass-12", "streets": ["徐家汇街道"]}
    r = client.post("/api/v1/users", headers=h, json=body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["role"] == "inspector" and created["streets"] == ["徐家汇街道"] and created["must_change_password"]
    assert "password" not in created and "password_hash" not in str(created)
    r = client.post("/api/v1/users", headers=h, json=body)
    assert r.status_code == 422 and "username" in r.get_json()["errors"]
    r = client.post("/api/v1/users", headers=h, json={**body, "username": "x2", "role": "admin"})
    assert r.status_code == 422 and "streets" in r.get_json()["errors"]
    r = client.post("/api/v1/users", headers=h, json={**body, "username": "x3", "password": "short"})
    assert r.status_code == 422 and "password" in r.get_json()["errors"]
    assert db.session.scalar(select(User).where(User.username.in_(("x2", "x3")))) is None
    page = client.get("/api/v1/users?per_page=1&page=2", headers=h).get_json()
    assert page["total"] == 2 and page["per_page"] == 1 and len(page["items"]) == 1
    assert "password_hash" not in str(page)
    r = client.get("/api/v1/users?street=不存在", headers=h)
    assert r.status_code == 422 and "street" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/users/{created['id']}", headers=h, json={"active": False, "display_name": "陈"})
    assert r.status_code == 200 and r.get_json()["active"] is False
    r = client.patch(f"/api/v1/users/{created['id']}", headers=h, json={"role": "property"})
    assert r.status_code == 422 and "complex" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/users/{admin.id}", headers=h, json={"active": False})
    assert r.status_code == 422 and "active" in r.get_json()["errors"]
    assert client.get("/api/v1/users/999999", headers=h).status_code == 404


def test_a_second_administrator_through_setup_only_when_none_is_active():
    first = make_admin(username="first")
    with pytest.raises(Conflict):
        accounts.create_administrator("second", "a-good-pass-1")
    first.active = False  # e.g. deactivated by another administrator who has left since
    db.session.commit()
    assert accounts.create_administrator("second", "a-good-pass-1").is_admin
    with pytest.raises(Conflict):
        accounts.create_administrator("third", "a-good-pass-1", first_run=True)  # accounts exist


def test_the_edit_page_shows_each_roles_scope_by_name(admin_client):
    shop = make_shop(street="徐家汇街道")
    merchant = make_merchant(shops=[shop], username="boss")
    manager = make_property("港汇恒隆广场", username="pm")
    html = admin_client.get(f"/admin/accounts/{merchant.id}").get_data(as_text=True)
    assert f'value="{shop.code}"' in html and shop.sign_name in html
    assert '<option value="merchant" selected>经营者</option>' in html
    html = admin_client.get(f"/admin/accounts/{manager.id}").get_data(as_text=True)
    assert '<option value="港汇恒隆广场" selected>港汇恒隆广场</option>' in html
    r = admin_client.post(f"/admin/accounts/{manager.id}", data={"role": "property", "complex": ""})
    assert r.status_code == 422 and "<strong>商业综合体</strong>" in r.get_data(as_text=True)
