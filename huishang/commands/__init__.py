"""CLI commands, one module per feature; see huishang/cli.py."""
