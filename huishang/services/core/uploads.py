"""Photo uploads: type sniffed from the bytes (not the name or header), size-limited, re-encoded
so that EXIF (location, device) is stripped, stored under UPLOAD_DIR with a random name."""
import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from huishang.i18n import N_
from huishang.services import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED = {"JPEG": "jpg", "PNG": "png"}


def read_image(data: bytes, field: str = "photo") -> Image.Image:
    """Validate image bytes. Raises DomainError naming `field`."""
    if not data:
        raise DomainError(N_("图片为空"), {field: [N_("图片为空")]})
    if len(data) > MAX_BYTES:
        raise DomainError(N_("图片过大"), {field: [N_("图片不能超过 %(mb)s MB", mb=MAX_BYTES // 1024 // 1024)]},
                          status=413)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ALLOWED:
            raise DomainError(N_("只接受 JPEG 或 PNG 图片"), {field: [N_("只接受 JPEG 或 PNG 图片")]})
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise DomainError(N_("图片尺寸过大"), {field: [N_("图片尺寸过大")]})
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError(N_("无法识别的图片"), {field: [N_("不是有效的 JPEG 或 PNG 图片")]}) from None
    image.format_hint = kind  # type: ignore[attr-defined]
    return image


def store_image(data: bytes, folder: str, field: str = "photo") -> str:
    """Validate, strip metadata and store; returns the path relative to UPLOAD_DIR."""
    image = read_image(data, field)
    kind = getattr(image, "format_hint", "JPEG")
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = image.copy()  # pixel data only: info/EXIF are not carried into the saved file
    clean.info = {}
    relative = Path(folder) / f"{secrets.token_urlsafe(16)}.{ALLOWED[kind]}"
    target = Path(current_app.config["UPLOAD_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "JPEG":
        clean.save(target, "JPEG", quality=85, optimize=True)
    else:
        clean.save(target, "PNG", optimize=True)
    return str(relative)
