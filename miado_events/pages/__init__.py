"""Public pages: home, legal pages, health check."""
