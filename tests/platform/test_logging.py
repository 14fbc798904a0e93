"""Secrets never reach the logs: passwords, bearer tokens and complaint tracking keys.

Every logger is captured at DEBUG while users log in (page and API), fail to log in, get locked
out and call the API with a token; the access-log format shipped for gunicorn must not print
query strings (tracking keys travel as `?key=`)."""
import logging
import runpy
from pathlib import Path

import pytest

from huishang import create_app
from huishang.config import TestingConfig
from huishang.services.accounts import MAX_FAILURES
from tests.factories import PASSWORD, make_regulator

ROOT = Path(__file__).resolve().parents[2]
WRONG = "Wr0ng-but-s3cret!"


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if not logger.propagate:  # capture loggers that do not propagate to root as well
            logger.addHandler(caplog.handler)
    yield caplog
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).removeHandler(caplog.handler)


def _text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def test_passwords_and_tokens_never_logged(app, client, all_logs):
    reg = make_regulator()
    # A warning-level app log proves the capture works (the test could otherwise never fail).
    app.logger.warning("capture check %s", reg.username)
    client.post("/login", data={"username": reg.username, "password": WRONG})
    client.post("/login", data={"username": reg.username, "password": PASSWORD})
    client.post("/logout")
    r = client.post("/api/v1/auth/token", json={"username": reg.username, "password": PASSWORD})
    token = r.get_json()["token"]
    client.get("/api/v1/shops", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/shops", headers={"Authorization": f"Bearer {token}x"})
    client.post("/api/v1/auth/token", json={"username": "nobody", "password": WRONG})
    for _ in range(MAX_FAILURES + 1):
        client.post("/api/v1/auth/token", json={"username": reg.username, "password": WRONG})
    text = _text(all_logs)
    assert f"capture check {reg.username}" in text
    for secret in (PASSWORD, WRONG, token, token.split(".")[0]):
        assert secret not in text


def test_server_error_log_carries_no_credentials(all_logs, auth_header):
    """A crash while handling a request logs a traceback; it must not echo the query string's
    secrets or the Authorization header."""
    crashy = create_app(TestingConfig)
    crashy.testing = False
    crashy.config["PROPAGATE_EXCEPTIONS"] = False

    @crashy.get("/_test/crash")
    def crash():
        raise RuntimeError("boom")

    header = auth_header(make_regulator())
    r = crashy.test_client().get("/_test/crash?password=" + PASSWORD, headers=header)
    assert r.status_code == 500
    text = _text(all_logs)
    assert "boom" in text  # the error itself is logged
    assert header["Authorization"].split()[1] not in text and PASSWORD not in text


def test_gunicorn_access_log_has_no_query_strings():
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    fmt = conf["access_log_format"]
    assert "%(U)s" in fmt  # path only
    for leaky in ("%(r)s", "%(q)s", "%(a)s", "{authorization}i", "{cookie}i"):
        assert leaky.lower() not in fmt.lower()
