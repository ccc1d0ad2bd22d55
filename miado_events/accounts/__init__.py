"""Accounts: sign-up, verification, log-in, password reset, e-mail change, roles."""
