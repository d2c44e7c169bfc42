"""The bare endpoint the list page's throughput is compared with: Flask returning a fixed string.

Served by the same gunicorn command as the register (bench/throughput.py).
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    """A fixed string: the cost of gunicorn, Flask and the socket, nothing else."""
    return "ok"
