"""services of people, split by sub-domain."""
