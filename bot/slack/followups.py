"""Work that finishes a Slack interaction after ack(): registered with @followup, run by the job queue."""

from __future__ import annotations
