"""One commit per request: services flush, the request commits once through `huishang.handling`
(`commit`, `commit_or_rollback`, `commit_or_fail`, `commit_or_flash`), a GET never writes by
accident, and a failure part-way through a request leaves nothing behind."""
import ast
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from huishang import handling
from huishang.extensions import db
from huishang.models import ApiKey, AuditEvent, ChangeRequest, Inspection, Notification, Shop
from huishang.services import DomainError
from huishang.services.core import notifications
from huishang.services.integration import apikeys
from huishang.services.merchant import changes
from tests.factories import make_merchant, make_regulator, make_shop

PACKAGE = Path(handling.__file__).parent
FACES = ("admin", "merchant", "citizen", "property", "integration")
VIEW_MODULES = sorted(
    [path for face in FACES for path in (PACKAGE / face).rglob("*.py")]
    + [PACKAGE / "accounts.py", PACKAGE / "site.py"]
)


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


# -- the source -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VIEW_MODULES, ids=_name)
def test_no_view_module_commits_itself(path):
    source = path.read_text(encoding="utf-8")
    lines = [n for n, line in enumerate(source.splitlines(), 1) if "session.commit(" in line]
    assert lines == [], f"{_name(path)} commits at lines {lines}: call huishang.handling.commit() instead"


def _catches_domain_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name | ast.Attribute) and "DomainError" in ast.unparse(n) for n in names)


@pytest.mark.parametrize("path", VIEW_MODULES, ids=_name)
def test_no_hand_written_rollback_of_a_domain_error(path):
    """`except DomainError: rollback → show again` is what commit_or_rollback / commit_or_fail do."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        handler.lineno
        for handler in ast.walk(tree)
        if isinstance(handler, ast.ExceptHandler) and handler.type is not None and _catches_domain_error(handler)
        and any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("rollback", "commit") for node in handler.body for call in ast.walk(node))
    ]
    assert found == [], f"{_name(path)} rolls back or commits by hand at lines {found}"


# -- the helper -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_get_may_not_commit_without_saying_why(app, method):
    with app.test_request_context("/admin/complaints", method=method):
        with pytest.raises(RuntimeError, match="a GET never writes"):
            handling.commit()
        assert not handling.committed()
        handling.commit(on_get="a test that says why")
        assert handling.committed()


def test_commit_or_rollback_keeps_nothing_of_a_failed_action(app):
    shop = make_shop(sign_name="原来的店名")
    db.session.commit()

    def rename_then_fail():
        db.session.get(Shop, shop.id).sign_name = "改到一半"
        db.session.flush()
        raise DomainError("第二步失败")

    with app.test_request_context("/x", method="POST"):
        result, failed = handling.commit_or_rollback(rename_then_fail)
        assert result is None and failed.message == "第二步失败" and not handling.committed()
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).sign_name == "原来的店名"


# -- requests -------------------------------------------------------------------------------------


@pytest.fixture
def commits():
    """The database commits made while a test runs (a savepoint's release is not one)."""
    made = []
    listener = lambda _connection: made.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    yield made
    event.remove(db.engine, "commit", listener)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_failing_step_in_a_json_api_view_leaves_nothing_written(client, auth_header, monkeypatch, commits):
    """Approving a change writes the shop, the request's status and an audit event, then notifies the
    merchant. When that last step fails, none of the earlier ones stays."""
    shop = make_shop(sign_name="旧店名")
    merchant = make_merchant(shops=[shop])
    cr = changes.request_shop_change(shop, {"sign_name": "新店名"}, actor=merchant)
    headers = auth_header(make_regulator())
    db.session.commit()
    before = (_count(AuditEvent), _count(Notification))
    commits.clear()

    def notify_fails(*_args, **_kwargs):
        raise DomainError("通知服务不可用", status=503)

    monkeypatch.setattr(notifications, "notify", notify_fails)
    r = client.post(f"/api/v1/change-requests/{cr.id}/approve", headers=headers)
    assert r.status_code == 503 and r.get_json()["code"] == 503
    assert commits == []
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).sign_name == "旧店名"
    assert db.session.get(ChangeRequest, cr.id).status == "pending"
    assert (_count(AuditEvent), _count(Notification)) == before


def test_an_api_key_push_commits_once_with_the_keys_use(client, commits):
    shop = make_shop()
    key, raw = apikeys.create_key("市级移动监管系统", ["inspections:write"], actor=make_regulator())
    db.session.commit()
    commits.clear()
    body = {"external_id": "SH-INS-0101", "shop_code": shop.code, "inspected_on": "2025-03-04",
            "outcome": "符合"}
    r = client.post("/api/v1/integration/inspections", json=body, headers={"X-Api-Key": raw})
    assert r.status_code == 201
    assert len(commits) == 1
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).last_used_at is not None


def test_a_refused_push_writes_only_the_keys_use(client, commits):
    key, raw = apikeys.create_key("市级移动监管系统", ["inspections:write"], actor=make_regulator())
    db.session.commit()
    before = (_count(AuditEvent), _count(Inspection))
    commits.clear()
    body = {"external_id": "SH-INS-0102", "shop_code": "NOSUCHCODE", "inspected_on": "2025-03-04",
            "outcome": "符合"}
    r = client.post("/api/v1/integration/inspections", json=body, headers={"X-Api-Key": raw})
    assert r.status_code in (404, 422)
    assert len(commits) == 1  # the key's last use, alone
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).last_used_at is not None
    assert (_count(AuditEvent), _count(Inspection)) == before
