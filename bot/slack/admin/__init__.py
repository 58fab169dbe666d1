"""Administration: `/switchboard …` (help, whoami, link, connect, channel, audit), the connect modal,
and the workspace lifecycle events."""
