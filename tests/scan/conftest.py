"""Every scan test starts and ends with empty face caches and no buffered scan counts."""
import pytest

from huishang.citizen import scan_cache
from huishang.services.scan import faces as scans


@pytest.fixture(autouse=True)
def _fresh_state():
    scans.citizen_pages.clear()
    scan_cache.clear_all()
    scans.buffer.take()
    yield
    scans.citizen_pages.clear()
    scan_cache.clear_all()
    scans.buffer.take()
