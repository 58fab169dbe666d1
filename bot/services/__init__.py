"""The service layer: what Switchboard does, with no Slack objects and no raw HTTP."""
