"""Request hooks shared by every page: security headers, template helpers."""
from flask import current_app, request
from flask_babel import get_locale

CSP = ("default-src 'self'; img-src 'self' data: blob: {tiles}; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def register(app) -> None:
    @app.after_request
    def security_headers(response):
        tiles = current_app.config.get("MAP_TILE_ORIGIN", "")
        response.headers.setdefault("Content-Security-Policy", CSP.format(tiles=tiles).replace("  ", " "))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.context_processor
    def template_helpers():
        return {"locale": str(get_locale() or "zh"),
                "district_name": current_app.config.get("DISTRICT_NAME", "徐汇区")}
