"""The regional SSR app (Starlette + Jinja2): `create_app(settings)` in `asgi.py`."""
