"""gunicorn settings for Huishang: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...), so
several instances can run side by side behind the load balancer (see docs/deploy.md).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads let one worker wait on PostgreSQL while another request runs; the app holds no
# per-process state (sessions are signed cookies, rate limits live in Redis).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # plate PDFs for a whole street take a while
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never takes an instance down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
# Only nginx on this host may set X-Forwarded-*; the app trusts them when TRUST_PROXY=1.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The path only (%(U)s), never the query string: complaint tracking keys travel as ?key=...
# No headers either (Authorization, Cookie). Client address, method, path, status, size, time.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# gunicorn's control socket lives at one fixed path per user; several instances on one host
# (scaling out, see docs/deploy.md) would fight over it, and nothing here uses it.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "0") != "1"
