"""MSO registry: applications, staff review, public directory, membership."""
