"""Sending SMS: `/sms send|templates|codes|logs`, the send modal, the preview card, the shortcuts."""
