"""Switchboard: a self-hosted Slack app for contact-center teams."""

__version__ = "0.1.0"
