"""Search: the one-word query's levels by role (issue 14)."""
from . import migrations


@migrations()
def m130_search_words_by_role(db):
    db.executescript(
        """
        -- A one-word query is answered level by level (checkin/search.py, _tiered):
        -- "th" wants family and given names starting with "th" before middle
        -- names. On the primary key (word first) that level read every "thanh"
        -- and "thi" middle name on the way (60,000 steps at 100,000 attendees);
        -- by role first it reads only the rows it returns.
        CREATE INDEX attendee_words_role ON attendee_words(role, word);
        """
    )
