"""selectors of people, split by sub-domain.

The names other apps use are re-exported here (the contact-attempt ledger's result codes, the
contact cap, the follow-up lists, the persuasion figures)."""

from maillage.people.models import (
    DOOR_RESULTS as DOOR_RESULTS,
)
from maillage.people.models import (
    PHONE_RESULTS as PHONE_RESULTS,
)
from maillage.people.models import (
    Channel as Channel,
)
from maillage.people.models import (
    ContactPolicy as ContactPolicy,
)
from maillage.people.models import (
    Interaction as Interaction,
)
from maillage.people.models import (
    SupportLevel as SupportLevel,
)
from maillage.people.selectors.contact_cap import (
    contact_cap_allows as contact_cap_allows,
)
from maillage.people.selectors.contact_cap import (
    contact_policy as contact_policy,
)
from maillage.people.selectors.contact_cap import (
    over_contact_cap_q as over_contact_cap_q,
)
from maillage.people.selectors.followup import (
    FOLLOWUP_KINDS as FOLLOWUP_KINDS,
)
from maillage.people.selectors.followup import (
    followup_q as followup_q,
)

# A batch of writes (a phone's sync) checks its people's scope once; other apps look
# people_counts_by_area up on the package (elections' campaign_presence_by_area).
from maillage.people.selectors.people import PeopleInScope as PeopleInScope
from maillage.people.selectors.people import people_counts_by_area as people_counts_by_area
from maillage.people.selectors.people import people_in_scope as people_in_scope
