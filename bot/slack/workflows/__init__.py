"""Workflow Builder steps (Slack custom functions): Send SMS, Look up number, Assign thread."""
