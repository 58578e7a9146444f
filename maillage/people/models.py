"""Models of people (built by its issue)."""
