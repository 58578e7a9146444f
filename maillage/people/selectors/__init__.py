"""selectors of people, split by sub-domain."""
