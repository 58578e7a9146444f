"""selectors of people, split by sub-domain."""

# Other apps look this one up on the package (elections' campaign_presence_by_area).
from maillage.people.selectors.people import people_counts_by_area as people_counts_by_area  # noqa: E402
