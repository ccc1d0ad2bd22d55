"""iCalendar: one module builds every invite, update, cancellation and download."""
