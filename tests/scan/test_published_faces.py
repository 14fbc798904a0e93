"""Published citizen faces (issue 16): each shop's citizen face rendered ahead for the day and
served to an anonymous scan with one read, never stale: not after a change to the shop, its
reviews or licences, not on another day, not to a signed-in user."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from huishang.citizen import scan as scan_view
from huishang.citizen import scan_cache
from huishang.extensions import db
from huishang.models import PublishedFace, today
from huishang.services import registry
from huishang.services.scan import faces as scans
from tests.factories import make_regulator, make_shop

published = scans.published


@pytest.fixture
def no_render(monkeypatch):
    """Call it to make rendering a citizen face fail from then on: a 200 can only come from a
    published face."""

    def refuse(*args, **kwargs):
        raise AssertionError("rendered")

    return lambda: monkeypatch.setattr(scan_view, "_render_citizen", refuse)


def forget_caches():
    scans.citizen_pages.clear()
    scan_cache.clear_all()


def publish(*shops, locales=("zh", "en")):
    count = published.publish([s.id for s in shops], locales)
    db.session.commit()
    return count


def test_a_published_face_is_the_rendered_page_served_without_rendering(client, monkeypatch):
    shop = make_shop(sign_name="老街面馆")
    live = client.get(f"/s/{shop.code}")
    forget_caches()
    scans.buffer.take()
    assert publish(shop) == 2
    monkeypatch.setattr(scan_view, "_render_citizen", lambda *a, **k: pytest.fail("rendered"))
    served = client.get(f"/s/{shop.code}")
    assert served.status_code == 200 and served.data == live.data
    assert "老街面馆" in served.get_data(as_text=True)
    for header in ("Content-Type", "Cache-Control", "Vary", "Content-Security-Policy", "X-Frame-Options"):
        assert served.headers[header] == live.headers[header], header
    assert "Set-Cookie" not in served.headers
    assert scans.buffer.take() == {(shop.id, today(), "citizen"): 1}  # a served face is still a scan


def test_the_language_is_chosen_as_the_app_chooses_it(client, no_render):
    shop = make_shop()
    publish(shop)
    no_render()
    chinese = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese
    english = client.get(f"/s/{shop.code}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in english.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert 'lang="en"' in client.get(f"/s/{shop.code}").get_data(as_text=True)
    client.set_cookie("lang", "zh")
    assert 'lang="zh-CN"' in client.get(f"/s/{shop.code}", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_change_to_the_shop_deletes_its_faces_in_the_same_transaction(client):
    shop, other = make_shop(), make_shop()
    publish(shop, other)
    registry.update_shop(shop, {"sign_name": "改名后的小馆"})
    db.session.commit()
    assert db.session.scalars(select(PublishedFace.shop_id).distinct()).all() == [other.id]
    assert "改名后的小馆" in client.get(f"/s/{shop.code}").get_data(as_text=True)


def test_a_new_licence_expiry_is_a_recorded_change_that_drops_the_faces(client):
    """The main licence is part of the shop record: changing its expiry is audited and sent as a
    change (it was neither, so the face kept the old licence state)."""
    from huishang.models import AuditEvent

    shop = make_shop(licence_no="JY23104010000002", licence_expires="2030-06-30")
    publish(shop)
    registry.update_shop(shop, {"licence_no": "JY23104010000002", "licence_expires": "2031-06-30"})
    db.session.commit()
    assert db.session.scalars(select(PublishedFace)).all() == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "shop.update")).one()
    assert event.before == {"licence_expires": "2030-06-30"} and event.after == {"licence_expires": "2031-06-30"}


def test_a_face_older_than_the_shop_row_is_not_served(client):
    """A write that changed the shop row without the signal still wins: the stored face names the
    shop version it was rendered from."""
    shop = make_shop(contact="王芳")
    publish(shop)
    db.session.execute(update(type(shop)).where(type(shop).id == shop.id)
                       .values(sign_name="直接改名", updated_at=shop.updated_at + timedelta(seconds=1)))
    db.session.commit()
    assert "直接改名" in client.get(f"/s/{shop.code}").get_data(as_text=True)


def test_a_new_review_shows_at_once(client):
    from huishang.services.feedback import reviews

    shop = make_shop()
    publish(shop)
    reviews.submit(shop, {"stars": 5, "text": "汤头很鲜，服务周到", "tags": []}, client_hash="c1", ip_hash="i1",
                   known_client=True)
    db.session.commit()
    assert "汤头很鲜" in client.get(f"/s/{shop.code}").get_data(as_text=True)


def test_yesterdays_face_is_not_served_today(client, no_render):
    shop = make_shop()
    publish(shop)
    db.session.execute(update(PublishedFace).values(day=today() - timedelta(days=1)))
    db.session.commit()
    no_render()
    with pytest.raises(AssertionError, match="rendered"):
        client.get(f"/s/{shop.code}")


def test_signed_in_users_and_other_urls_never_get_a_published_face(client, login_as, no_render):
    shop = make_shop()
    publish(shop)
    no_render()
    with pytest.raises(AssertionError, match="rendered"):
        client.get(f"/s/{shop.code}?lang=en")  # a query string: the app answers (and may set a cookie)
    login_as(make_regulator())
    page = client.get(f"/s/{shop.code}")  # the supervision face, rendered for the user
    assert page.status_code == 200 and "scan-supervise" in page.get_data(as_text=True)


def test_the_nightly_job_publishes_every_shop_and_drops_earlier_days(runner):
    shops = [make_shop() for _ in range(3)]
    publish(shops[0])
    db.session.execute(update(PublishedFace).values(day=today() - timedelta(days=1)))
    db.session.commit()
    result = runner.invoke(args=["jobs", "run", "scan-faces"])
    assert result.exit_code == 0, result.output
    assert "published 6 citizen faces" in result.output and "dropped 2" in result.output
    rows = db.session.execute(select(PublishedFace.shop_id, PublishedFace.locale, PublishedFace.day)).all()
    assert sorted(rows) == sorted((s.id, locale, today()) for s in shops for locale in ("zh", "en"))


def test_an_unreachable_store_falls_back_to_rendering(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    shop = make_shop(sign_name="照常渲染")
    publish(shop)
    rendered = []
    real = scan_view._render_citizen
    monkeypatch.setattr(scan_view, "_render_citizen", lambda *a, **k: rendered.append(1) or real(*a, **k))

    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(published, "lookup", broken)  # SQLite: the session's read fails
    for cache in scan_cache._instances:  # PostgreSQL: the direct reader's server is gone
        if cache.engine:
            monkeypatch.setattr(cache.engine, "url", "postgresql://postgres@127.0.0.1:1/none")
            monkeypatch.setattr(cache.engine.local, "connection", None)
            monkeypatch.setattr(cache.engine, "paused_until", 0.0)  # the pause it starts ends with the test
    page = client.get(f"/s/{shop.code}")
    assert page.status_code == 200 and "照常渲染" in page.get_data(as_text=True) and rendered == [1]


@pytest.mark.skipif("not __import__('os').environ.get('TEST_DATABASE_URL')", reason="PostgreSQL's direct reader")
def test_the_direct_reader_opens_its_connection_again_after_a_failure(app):
    shop = make_shop()
    publish(shop)
    with app.app_context():
        reader = published.lookup_engine()
    found = reader.lookup(shop.code, "zh")
    assert found is not None and found[0] == shop.id
    reader.local.connection.close()  # as when the server restarted
    assert reader.lookup(shop.code, "zh")[0] == shop.id
    reader.url, good = "postgresql://postgres@127.0.0.1:1/none", reader.url  # the server is gone
    reader.local.connection.close()
    assert reader.lookup(shop.code, "zh") is None and reader.paused_until > 0
    reader.url = good
    assert reader.lookup(shop.code, "zh") is None  # paused: no connection attempt per scan
    reader.paused_until = 0.0
    assert reader.lookup(shop.code, "zh")[0] == shop.id
    assert reader.lookup(shop.code, "fr") is None
    reader.local.connection.close()


@pytest.mark.skipif("not __import__('os').environ.get('TEST_DATABASE_URL')", reason="row locks: PostgreSQL")
def test_a_change_while_its_batch_is_published_leaves_no_stale_face(app):
    """Publishing renders a batch, then stores it; a licence change committed in between (it does not
    write the shop row, so the version cannot catch it) waits for the batch and deletes its faces."""
    import threading

    from huishang.services.registry import update_shop

    shop = make_shop(licence_no="JY23104010000001", licence_expires="2030-06-30")
    rendered, changed = threading.Event(), threading.Event()
    real = published.RENDERER

    def slow_renderer(target, locale):
        result = real(target, locale)
        rendered.set()
        changed.wait(3)  # the change tries to commit here (it waits for this batch's share lock)
        return result

    def change():
        rendered.wait(10)
        with app.app_context():
            update_shop(db.session.get(type(shop), shop.id),
                        {"licence_no": "JY23104010000001", "licence_expires": "2031-06-30"})
            threading.Timer(0.5, changed.set).start()  # let the batch go on while this waits
            db.session.commit()
            db.session.remove()

    worker = threading.Thread(target=change)
    worker.start()
    published.RENDERER = slow_renderer
    try:
        published.publish([shop.id], ("zh",))
        db.session.commit()
    finally:
        published.RENDERER = real
    worker.join(15)
    assert not worker.is_alive()
    db.session.expire_all()
    assert db.session.scalars(select(PublishedFace).where(PublishedFace.shop_id == shop.id)).all() == []
