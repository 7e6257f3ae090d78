"""Settings: users, this office, the print font."""
