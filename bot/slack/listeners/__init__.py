"""Listeners, one folder per kind, each with a `register(app)`."""
