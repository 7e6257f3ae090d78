"""inbox feature."""
