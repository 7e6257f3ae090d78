"""The first run: setting this installation up as an office, or trying it with demo data."""
