"""Huishang (汇商码): one QR plate per shop, three faces — supervision, merchant, citizen."""
from flask import Flask, request

from . import config as config_module
from .api import api
from .extensions import babel, csrf, db, limiter, login, migrate


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
    return app


def select_locale():
    from flask import current_app

    wanted = request.args.get("lang") or request.cookies.get("lang")
    languages = current_app.config["LANGUAGES"]
    if wanted in languages:
        return wanted
    return request.accept_languages.best_match(languages, default=languages[0])


def register_extensions(app: Flask) -> None:
    from .models import User

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
    from . import accounts, core
    from .admin import register as register_admin
    from .citizen import register as register_citizen
    from .integration import register as register_integration
    from .merchant import register as register_merchant
    from .property import register as register_property

    app.register_blueprint(core.bp)
    app.register_blueprint(accounts.bp)
    api.register_blueprint(accounts.api_bp)
    csrf.exempt(accounts.api_bp)
    for register in (register_admin, register_citizen, register_merchant, register_property,
                     register_integration):
        register(app, api)


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_hooks(app: Flask) -> None:
    from .web import register

    register(app)
