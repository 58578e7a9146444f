"""Models of elections (built by its issue)."""
