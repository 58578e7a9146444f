"""views of people, split by sub-domain."""
