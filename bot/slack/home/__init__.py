"""The App Home tab: who you are linked as, your inbox, recent activity and quick buttons."""
