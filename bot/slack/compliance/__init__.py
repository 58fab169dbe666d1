"""The team's sending rules in Slack: `/switchboard optout` and `/switchboard quiet-hours`."""
