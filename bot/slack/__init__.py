"""The only package that knows Slack: listeners parse and ack, blocks render, services do the work."""
