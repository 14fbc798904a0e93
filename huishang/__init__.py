"""Huishang (汇商码): one QR plate per shop, three faces — supervision, merchant, citizen."""
from flask import Flask, current_app, request

from . import accounts, cli, errors, hooks, site
from . import config as config_module
from .admin import register as register_admin
from .api import api
from .citizen import register as register_citizen
from .citizen import scan_cache
from .extensions import babel, csrf, db, limiter, login, migrate
from .integration import register as register_integration
from .merchant import register as register_merchant
from .models import User
from .property import register as register_property
from .services import grading, jobs, messages
from .services.scan import faces as scan_faces
from .signals import complaint_moved, notification_created, shop_changed, shops_imported, shops_importing


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app. `config` is a config class or a mapping of overrides (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_module.Config)
    if isinstance(config, type):
        app.config.from_object(config)
    elif isinstance(config, dict):
        app.config.update(config)
    config_module.check(app.config)
    # The embedded SQLite database, uploads and exports live under instance/, which a fresh clone
    # does not have. (A read-only deployment that keeps them elsewhere need not have it either.)
    try:
        config_module.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    register_errorhandlers(app)
    register_hooks(app)
    register_signals(app)
    return app


def select_locale():
    """?lang= for this page, else the `lang` cookie (set by the switch or by a ?lang= page, see
    `remember_language`), else the browser's languages."""
    wanted = request.args.get("lang") or request.cookies.get("lang")
    languages = current_app.config["LANGUAGES"]
    if wanted in languages:
        return wanted
    return request.accept_languages.best_match(languages, default=languages[0])


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = "请先登录"
    login.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    api.init_app(app)
    jobs.celery_init_app(app)

    @login.user_loader
    def load_user(session_id: str):
        """Session ids are "<user id>-<token version>": a password change ends every session."""
        user_id, _, version = session_id.partition("-")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.token_version != int(version):
            return None
        return user


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(site.bp)
    app.register_blueprint(accounts.bp)
    api.register_blueprint(accounts.api_bp)
    csrf.exempt(accounts.api_bp)
    for register in (register_admin, register_citizen, register_merchant, register_property,
                     register_integration):
        register(app, api)


def register_cli(app: Flask) -> None:
    cli.register(app)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_hooks(app: Flask) -> None:
    hooks.register(app)


def register_signals(app: Flask) -> None:
    """Connect the cross-feature reactions declared in `huishang.signals` to their receivers, in
    the order they must run: grading first (it rewrites the shop's derived columns), then the
    caches of the shop's scan faces. Connecting twice (several apps in one process) is a no-op."""
    shop_changed.connect(grading.refresh_shop, weak=False)
    shop_changed.connect(grading.draws.on_shop_changed, weak=False)  # a draw's last target inspected
    shop_changed.connect(scan_faces.forget_shop, weak=False)
    shop_changed.connect(scan_cache.forget_shop, weak=False)
    shop_changed.connect(scan_faces.published.forget, weak=False)  # its published face, same transaction
    shops_importing.connect(grading.prepare_new, weak=False)  # new shops written already graded
    shops_imported.connect(grading.refresh_imported, weak=False)
    notification_created.connect(messages.on_notification, weak=False)
    complaint_moved.connect(messages.on_complaint_moved, weak=False)  # the citizen's progress SMS (consent)
