"""services of people, split by sub-domain.

The contact-attempt ledger's writes are re-exported here for canvassing, phone banking and
messaging."""

from maillage.people.services.contact_attempts import (
    ContactAttempt as ContactAttempt,
)
from maillage.people.services.contact_attempts import (
    ContactAttemptOutcome as ContactAttemptOutcome,
)
from maillage.people.services.contact_attempts import (
    contact_attempt_record as contact_attempt_record,
)
from maillage.people.services.contact_attempts import (
    contact_attempts_record_sent as contact_attempts_record_sent,
)
