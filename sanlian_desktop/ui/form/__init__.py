"""form feature."""
