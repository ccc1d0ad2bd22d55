"""Entry point: ``flask --app app run`` or ``gunicorn app:app``."""
from miado_events import create_app

app = create_app()
