"""Inbox alerts and live threads: new conversations posted as cards, worked from them, followed in their
Slack thread, with reminders when a customer waits."""
