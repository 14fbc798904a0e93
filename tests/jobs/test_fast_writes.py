"""Fast writes: inspections of one shop submitted at the same moment all succeed (PostgreSQL).

Each submit grades its shop in its own transaction under a row lock on the shop; with FOR UPDATE
the lock upgrade deadlocked against the KEY SHARE lock of the inspection's foreign key and most
submits answered 503. Runs where TEST_DATABASE_URL names PostgreSQL (the in-memory SQLite of the
suite has one connection for every thread)."""
import threading

import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import ChecklistTemplate, Inspection
from huishang.security import issue_token
from tests.factories import make_inspector, make_shop


@pytest.mark.postgres
def test_concurrent_inspections_of_one_shop_all_succeed(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL runs when TEST_DATABASE_URL is set")
    shop = make_shop()
    lead, co = make_inspector(), make_inspector()
    template = db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.key == "food.catering.inspection", ChecklistTemplate.current.is_(True)))
    db.session.commit()
    body = {"shop_code": shop.code, "template_id": template.id, "co_inspector": co.username,
            "answers": [{"item_id": item.id, "result": "pass"} for item in template.items]}
    headers = {"Authorization": f"Bearer {issue_token(lead)}"}
    statuses: list[int] = []
    start = threading.Barrier(4)

    def inspector(n: int) -> None:
        client = app.test_client()
        start.wait()
        for k in range(3):
            r = client.post("/api/v1/inspections", json={**body, "client_id": f"concurrent-{n}-{k:04d}"},
                            headers=headers)
            statuses.append(r.status_code)

    threads = [threading.Thread(target=inspector, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201] * 12 or sorted(statuses) == [201] * 12, statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Inspection.id)).where(Inspection.shop_id == shop.id)) == 12
