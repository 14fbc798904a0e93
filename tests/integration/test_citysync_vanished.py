"""City pushes when a record vanishes mid-push: the shop deleted between the look-up and the write
(a clean 404, nothing written), or a concurrent retry's inspection deleted between our failed insert
and our re-read (stored on a second try). Never a 500."""

import pytest
from sqlalchemy import delete, event, func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Inspection, Penalty, Shop
from huishang.services.integration.citysync import pushes
from tests.factories import make_shop
from tests.integration.test_integration import H, inspection_body, new_key, penalty_body


def _delete_shop(shop_id: int) -> None:
    """Delete the shop as another worker would: its own committed transaction on PostgreSQL; on the
    single-connection test SQLite, inside the request's session (the effect on the push is the same)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(delete(Shop).where(Shop.id == shop_id))
    else:
        db.session.execute(delete(Shop).where(Shop.id == shop_id))


@pytest.mark.parametrize("kind, body, hook", [
    ("inspections", inspection_body, "_inspection_fields"),
    ("penalties", penalty_body, "_penalty_fields"),
])
def test_shop_deleted_between_lookup_and_write_is_a_clean_404(client, monkeypatch, kind, body, hook):
    shop = make_shop()
    _, raw = new_key()
    shop_id, real = shop.id, getattr(pushes, hook)

    def fields_then_delete(data, found):
        fields = real(data, found)
        _delete_shop(shop_id)  # the push has looked the shop up and validated; now it vanishes
        return fields

    monkeypatch.setattr(pushes, hook, fields_then_delete)
    r = client.post(f"/api/v1/integration/{kind}", json=body(shop), headers=H(raw))
    assert r.status_code == 404, r.get_data(as_text=True)
    assert "shop_code" in r.get_json()["errors"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert db.session.scalar(select(func.count()).select_from(Penalty)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("inspection.push", "penalty.push")))) == 0


def test_concurrent_record_deleted_before_the_reread_is_stored_on_a_second_try(client, monkeypatch):
    """A concurrent retry stores the same external_id first (our insert fails), then that record is
    deleted before we read it back: we store ours instead of failing on a missing record."""
    shop = make_shop()
    _, raw = new_key()
    data = inspection_body(shop)
    real_shop = pushes._shop
    state = {"planted": False, "removed": False}

    def shop_then_plant(code, *, lock=False):
        found = real_shop(code, lock=lock)
        if lock and not state["planted"]:  # the other request's insert lands just before ours
            state["planted"] = True
            db.session.add(Inspection(shop_id=found.id, inspected_on=found.registered_on, outcome="pass",
                                      full=True, source="api", external_id=data["external_id"]))
            db.session.flush()
            state["conn"] = db.session.connection()
        return found

    def remove_after_failed_insert(session, previous):
        if state["planted"] and not state["removed"] and previous.nested and session.is_active:
            state["removed"] = True  # ... and is deleted before we read it back
            table = Inspection.__table__  # straight to the connection: no autoflush inside the event
            state["conn"].execute(delete(table).where(table.c.external_id == data["external_id"]))

    monkeypatch.setattr(pushes, "_shop", shop_then_plant)
    event.listen(db.session, "after_transaction_end", remove_after_failed_insert)
    try:
        r = client.post("/api/v1/integration/inspections", json=data, headers=H(raw))
    finally:
        event.remove(db.session, "after_transaction_end", remove_after_failed_insert)
    assert state["planted"] and state["removed"]
    assert r.status_code == 201, r.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.scalars(select(Inspection)).all()
    assert [(i.external_id, i.outcome) for i in stored] == [(data["external_id"], "fail")]
