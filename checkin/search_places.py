"""The schools and classes the desk's name search knows (``attendee_places``):
read once per change of the festival file and indexed in memory, so a query
word that starts no name is matched to schools and classes by bisection."""
from __future__ import annotations

import bisect

from .search_words import TOP, ascii_lower, words_of


# (the schools and classes it was built from, its index): the words of the
# distinct schools and classes change rarely, the searches are many.
_PLACES: list = [None, None]


def _place_index(places: str) -> tuple[list[str], list[tuple], list[tuple]]:
    """(sorted words, [(word, kind, value)] in the same order, [(kind, value)]) of
    ``places`` (records of kind, value), for prefix look-ups by bisection."""
    if _PLACES[0] != places:
        pairs = [tuple(record.split("\x1f", 1)) for record in places.split("\x1e") if record]
        entries = sorted({(w, kind, value) for kind, value in pairs
                          for w in words_of(value if kind == "school" else ascii_lower(value))})
        _PLACES[:] = [places, ([e[0] for e in entries], entries, pairs)]
    return _PLACES[1]


# (connection, its data_version and total_changes, what _places read): searches
# between two writes (most of them on a busy desk) skip reading attendee_places.
# The connection itself is kept (not its id, which a new connection could reuse).
_READ: list = [None, None, None]


def places_of(db) -> tuple:
    """(index of :func:`_place_index`, {(kind, value): attendees}, attendees with a
    school or class) of the distinct schools and classes (``attendee_places``)."""
    conn = db.conn
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    if _READ[0] is conn and _READ[1] == stamp:
        return _READ[2]
    _READ[:] = [conn, stamp, _read_places(db)]
    return _READ[2]


def _read_places(db) -> tuple:
    # Two strings built by SQLite (cheaper than a few hundred rows through Python; clean()
    # keeps control characters out of names); the words are worked out again only when
    # the schools or classes change.
    places, sizes = db.execute("SELECT group_concat(kind || char(31) || value, char(30)), group_concat(n) "
                               "FROM (SELECT kind, value, n FROM attendee_places ORDER BY kind, value)").fetchone()
    index = _place_index(places or "")
    sizes = dict(zip(index[2], map(int, sizes.split(",")))) if sizes else {}
    # Every attendee with a school or class is in one of them (an estimate of the whole).
    total = max(sum(n for (kind, _value), n in sizes.items() if kind == "school"),
                sum(n for (kind, _value), n in sizes.items() if kind == "class"), 1)
    return index, sizes, total


def place_matches(places, word: str) -> dict[str, list[str]]:
    """{"school": [school_fold, ...], "class": [class_name, ...]} with a word starting with ``word``."""
    words, entries = places[0][0], places[0][1]
    found = entries[bisect.bisect_left(words, word):bisect.bisect_left(words, word + TOP)]
    return {kind: sorted({value for _w, k, value in found if k == kind}) for kind in ("school", "class")}


def place_filter(places, words) -> tuple[str, list, int]:
    """A condition on attendees ``a`` for query words that start no name word:
    each must start a word of the school or of the class (every word must have
    a school or class). Returns (SQL, parameters, about how many attendees match it).
    """
    _index, sizes, total = places
    conditions, params, share = [], [], 1.0
    for word in words:
        parts, found = [], 0
        for kind, values in place_matches(places, word).items():
            if values:
                column = "a.school_fold" if kind == "school" else "a.class_name"
                parts.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params += values
                found += sum(sizes[kind, value] for value in values)
        conditions.append("(" + " OR ".join(parts) + ")")
        share *= found / total
    return " AND ".join(conditions), params, int(total * share) + 1
