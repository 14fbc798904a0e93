"""A one-route Flask app: the baseline scripts/bench_scan.sh measures the scan page against."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
