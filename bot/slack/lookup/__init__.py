"""Looking up a number: `/lookup`, `/calls`, the *Look up number* shortcut, More and Share buttons."""
