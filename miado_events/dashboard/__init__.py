"""Staff dashboard: today and upcoming, live check-in, statistics, exports, mailings, audit log."""
