"""Events, sessions, venues, registration, waiting list."""
