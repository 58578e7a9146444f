"""Models of territory (built by its issue)."""
