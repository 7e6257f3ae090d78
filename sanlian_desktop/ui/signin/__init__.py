"""Signing in to this office."""
