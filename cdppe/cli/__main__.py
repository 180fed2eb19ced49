"""`python -m cdppe.cli` is the `cdppe` command (the local stack starts its helpers this way)."""

from cdppe.cli.app import app

app()
