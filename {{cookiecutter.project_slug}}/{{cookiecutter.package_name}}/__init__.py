"""Restate services and the ASGI app that serves them (see ``app.py``)."""
