"""The web dashboard under ``/ui`` of the scoring service (``wardwatch serve``).

Server-rendered pages (Jinja2, htmx for the interactive parts, Chart.js for charts, all
served from the package's own static files, no CDN), signed in with an API key exchanged for
an HttpOnly session cookie, CSRF-protected forms, pages and buttons by role::

    from wardwatch.web import build_web_app
    app = build_web_app(ws, ServeSettings(models=("readmission-30d",)))
"""

from wardwatch.web._app import app_from_env, build_web_app, mount_ui

__all__ = ["app_from_env", "build_web_app", "mount_ui"]
