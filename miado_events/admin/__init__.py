"""Admin: staff accounts and roles."""
