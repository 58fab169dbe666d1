"""Scheduled digests: `/switchboard digest …`, the digest modal, the run job and the digest message."""
