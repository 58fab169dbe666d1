"""Pure functions: data in, Block Kit out (built with slack_sdk.models), no I/O."""
