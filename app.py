"""Entry point: `flask --app app run`, `gunicorn app:app`."""
from booking import create_app

app = create_app()
