"""The Celery app for the worker and beat: `celery -A worker worker`, `celery -A worker beat`.

Built from the same factory as wsgi.py, with the same environment (docs/deploy.md §9)."""
from huishang import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
