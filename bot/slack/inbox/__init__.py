"""`/inbox`: a person's inbox counts and channels (and the team's, for supervisors)."""
