"""Ranked name search for the check-in desk over the folded-word index.

Every word of the query must start a word of the attendee's name, school or
class (folded: no accents, đ→d, lower case). Each query word scores its best
matching word; the order of what counts (issue 14):

1. a name word above a school or class word;
2. the exact spelling with accents ("Đoàn" above "Doãn" for "Đoàn");
3. a whole word above a word prefix ("an" finds An before Anh);
4. the family or given name above a middle name;
5. the query's words in the name's order above out of order.

Hyphens, dots and other separators are word breaks ("nguyen-van an").

A word that starts no word of anyone is read as a typo (issue 22): one letter
missing, extra, swapped or wrong ("nguyen vn an", "ngyuen van an", "nguyen van
aan"); the query is searched again with the likeliest real spellings. A word
that starts some word is taken as typed, so a near miss never comes before an
exact or prefix match.
The index (``attendee_words``, migration m10) is kept by triggers.
"""
from __future__ import annotations

import bisect
import itertools
import json

from kiosk.migrations.m10_attendees_search import CLASS, FAMILY, GIVEN, MIDDLE, SCHOOL
from kiosk.text import clean, fold

from .search_places import place_filter, place_matches, places_of
from .search_words import TOP, edits, words_of

MAX_WORDS = 6
MAX_LIMIT = 100
MAX_OFFSET = 2_000
# Pairs are counted up to this many; a word with this many index rows or more is common.
COUNT_CAP = 5_000
# At most this many attendees matching every word are ranked (family and given names
# before middle names, then schools and classes; within those in index order: whole
# words before longer ones, then by registration). Ten pages: the hub has one worker,
# a query must not hold it for long, and a desk typing "nguyen van" is not done typing.
MAX_CANDIDATES = 200
# A single word with more index rows than can be ranked is answered level by level (_tiered).
COMMON = MAX_CANDIDATES
# The in-order pair shortcut reads at most this many index rows per result wanted.
PAIR_SCAN = 25
# Relative cost of a candidate checked for another word (an index seek per row) and
# of a row put through INTERSECT's b-tree (measured at 100,000 attendees: 2.7 µs
# against 0.45 µs), for choosing where the candidates come from (see search()).
PROBE, ROW = 6, 1

# Points per matched query word (see the module docstring for the order).
NAME, OTHER = 1000, 100
EXACT, WHOLE, ENDS = 400, 200, 100
IN_ORDER = 50
# One integer per (attendee, query word): score * 1024 + position of the word matched.
_SHIFT = 1024

RESULT_COLUMNS = ("a.id, a.full_name, a.nickname, a.age_band, a.school, a.class_name, a.checked_in_at, "
                  "a.consent_guardian, a.name_fold")


def _score_sql(variants: int) -> str:
    """MAX() argument scoring one index row ``w`` against a query word."""
    marks = ", ".join("?" for _ in range(variants))
    return (f"(CASE WHEN w.role < {SCHOOL} THEN {NAME} ELSE {OTHER} END"
            f" + CASE WHEN w.exact IN ({marks}) THEN {EXACT} ELSE 0 END"
            f" + CASE WHEN w.word = ? THEN {WHOLE} ELSE 0 END"
            f" + CASE WHEN w.role IN ({FAMILY}, {GIVEN}) THEN {ENDS} ELSE 0 END) * {_SHIFT} + w.pos")


def _variants(word: str) -> list[str]:
    """Spellings that count as the exact one: as typed, lower, upper and capitalised."""
    return list(dict.fromkeys((word, word.lower(), word.upper(), word.capitalize())))


def _common(db, table: str, column: str, prefix: str, cap: int = COUNT_CAP) -> int:
    """How many index rows start with ``prefix``, counted up to ``cap``."""
    return db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {column} >= ? AND {column} < ? LIMIT ?)",
                      [prefix, prefix + TOP, cap]).fetchone()[0]


def _rarest(db, table: str, column: str, prefixes, cap: int = COUNT_CAP) -> tuple[int, str | None]:
    """(count, prefix) of the prefix with the fewest index rows. Each count stops
    at the best so far, so once a rare word is found the others cost little."""
    best: tuple[int, str | None] = (cap, None)
    for prefix in sorted(set(prefixes), key=len, reverse=True):  # longer words tend to be rarer
        count = _common(db, table, column, prefix, best[0] + 1)
        if count < best[0] or best[1] is None:
            best = (count, prefix)
    return best


def _counts(db, words, places) -> dict[str, tuple[int, int]]:
    """Word -> (name index rows starting with it, attendees whose school or class
    has a word starting with it): from ``attendee_vocab`` and the distinct schools
    and classes (:func:`places_of`), a few rows per word instead of thousands."""
    counts = {}
    for word in dict.fromkeys(words):
        named = db.execute("SELECT COALESCE(SUM(n), 0) FROM attendee_vocab WHERE word >= ? AND word < ?",
                           [word, word + TOP]).fetchone()[0]
        sizes = places[1]
        counts[word] = (named, sum(sizes[kind, value] for kind, values in place_matches(places, word).items()
                                   for value in values))
    return counts


def parse(query: str) -> list[tuple[str, list[str]]]:
    """Query text to [(folded word, exact spellings)], at most MAX_WORDS words."""
    folded = words_of(fold(query))[:MAX_WORDS]
    typed = words_of(clean(query))[:MAX_WORDS]
    if len(typed) != len(folded):  # a fold that changed the word count: no exact bonus then
        typed = folded
    return [(f, _variants(t)) for f, t in zip(folded, typed)]


def search(db, query: str, limit: int = 20, offset: int = 0) -> list[dict]:
    """Attendees matching every word of ``query``, best first; ``offset`` pages on.

    Returns dicts with id, full_name, nickname, age_band, school, class_name,
    checked_in_at, consent_guardian and ``namesakes`` (how many other
    attendees have the same name when folded, so the desk knows to check
    school, class and age). A query whose words are all single letters, or
    that is empty, returns nothing rather than everything.

    Candidates: the words' index rows are counted in ``attendee_vocab``
    (name words apart from school and class words). For one common word,
    level by level of its score (:func:`_tiered`). A word that starts no
    name ("chu", "9a") is a filter on the attendee's school and class
    (:func:`place_filter`). For several words whose rarest has more
    candidates than the page needs, first the rarest pair of consecutive
    words in order ("tran thi") when it is much rarer (and rarer than the
    school and class filter): if the first PAIR_SCAN × page of its rows fill
    the page, the page is theirs (the name typed in order). Otherwise the
    cheapest source by the PROBE/ROW cost model: the rarest word's rows, the
    place filter's attendees, or the two rarest words' rows intersected; the
    candidates are checked for the other words rarest first. At most
    MAX_CANDIDATES matching attendees (or the page, if deeper) are ranked.
    """
    terms = parse(query)
    if not terms or all(len(w) < 2 for w, _ in terms):
        return []
    limit = min(max(int(limit), 1), MAX_LIMIT)
    offset = min(max(int(offset), 0), MAX_OFFSET)
    want = offset + limit
    places = places_of(db)
    counts = _counts(db, [w for w, _ in terms], places)
    unknown = [w for w, _ in terms if sum(counts[w]) == 0]
    if unknown:
        # A word that starts no word of anyone: nobody has every word as typed, so
        # read it as a typo (issue 22). Only then: a word that starts some name is
        # taken as typed, so near misses never push down an exact or prefix match.
        return _finish(db, _near_misses(db, terms, unknown, places, want)[offset:])
    return _finish(db, _matches(db, terms, counts, places, want)[offset:])


def _matches(db, terms, counts, places, want: int) -> list[dict]:
    """The best ``want`` attendees with every word of ``terms`` (see :func:`search`)."""
    if len(terms) == 1:
        word = terms[0][0]
        if sum(counts[word]) >= COMMON:
            return _tiered(db, terms[0], want)
        return _ranked(db, terms, _range("attendee_words", "word", word), want, {word})
    # A word that starts no name ("chu", "9a") can only be a school or class:
    # a filter on the attendee's school and class, not a list of candidates.
    only = [w for w in counts if counts[w][0] == 0]
    place = place_filter(places, only) if only else None
    words = sorted((w for w in counts if w not in only), key=lambda w: (sum(counts[w]), -len(w)))
    rarest = sum(counts[words[0]]) if words else COUNT_CAP
    if words and rarest > want and (place is None or place[2] > rarest):
        # Two common words: the rarest pair of consecutive words in order ("tran thi").
        pairs = [f"{a} {b}" for (a, _), (b, _) in zip(terms, terms[1:]) if a not in only and b not in only]
        found, pair = _rarest(db, "attendee_pairs", "pair", pairs, min(rarest, COUNT_CAP)) if pairs else (0, None)
        if (pair is not None and 0 < found and (found * 4 < rarest or rarest >= COUNT_CAP)
                and (place is None or found < place[2])):
            # A shortcut, so bounded: when the first PAIR_SCAN of the pair's rows do
            # not fill the page, the full search below answers instead.
            sql, params = _range("attendee_pairs", "pair", pair)
            rows = _ranked(db, terms, (f"{sql} LIMIT {PAIR_SCAN * want}", params), want,
                           {*pair.split(" "), *only}, place)
            if len(rows) == want:
                return rows
    # The cheapest of three candidate sources, by measured cost per row: the
    # rarest name word's index rows, or the attendees of the place filter (each
    # then checked for the other words: PROBE per row), or the two rarest words'
    # ranges intersected by SQLite (INTERSECT fills one b-tree and probes it:
    # ROW per row). A place-only word's index rows are its school and class
    # words, the same attendees as its place filter.
    by_size = sorted(counts, key=lambda w: (sum(counts[w]), -len(w)))
    costs = {"words": rarest * PROBE if words else None,
             "place": place[2] * PROBE if place is not None else None,
             "intersect": sum(sum(counts[w]) for w in by_size[:2]) * ROW if len(by_size) > 1 else None}
    best = min((c, k) for k, c in costs.items() if c is not None)[1]
    if best == "intersect":
        ranges = [_range("attendee_words", "word", w) for w in by_size[:2]]
        source = (" INTERSECT ".join(sql for sql, _ in ranges), [p for _, params in ranges for p in params])
        return _ranked(db, terms, source, want, set(by_size[:2]), order=words)
    if best == "place":
        source = (f"SELECT a.id AS attendee_id FROM attendees a WHERE a.purged_at IS NULL AND {place[0]}", place[1])
        return _ranked(db, terms, source, want, set(only), order=words)
    # More rows than can be ranked: read them best role first (a range by role costs a little more).
    source = _word_source(words[0]) if rarest > MAX_CANDIDATES else _range("attendee_words", "word", words[0])
    return _ranked(db, terms, source, want, {words[0], *only}, place, order=words)


# --- near misses: one edit per word (issue 22) ---------------------------------------

# Spellings tried for the words typed with a typo, at most (the likeliest first).
MAX_NEAR = 6
# Queries with the typos put right that are searched, at most (the likeliest first).
MAX_FIXES = 6


def near_words(db, word: str, places=None) -> list[str]:
    """Words of anyone's name, school or class one edit from ``word``, the
    likeliest first: those that keep its first letter (a typo there is rare),
    then the commonest names."""
    candidates = edits(word)
    found = dict(db.execute("SELECT word, n FROM attendee_vocab WHERE word IN (SELECT value FROM json_each(?))",
                            [json.dumps(sorted(candidates))]).fetchall())
    if places is not None:
        for other in candidates:
            index = bisect.bisect_left(places[0][0], other)
            if index < len(places[0][0]) and places[0][0][index] == other:
                found.setdefault(other, 1)
    return sorted(found, key=lambda w: (w[:1] != word[:1], -found[w], w))[:MAX_NEAR]


def _near_misses(db, terms, unknown: list[str], places, want: int) -> list[dict]:
    """The best ``want`` attendees for ``terms`` with each word in ``unknown``
    (it starts no word of anyone) read as a typo: the query is searched again
    with each likely spelling (:func:`near_words`), and the results are
    merged in that order, each attendee once."""
    options = []
    for word, variants in terms:
        if word in unknown:
            near = near_words(db, word, places)
            if not near:
                return []
            options.append([(w, _variants(w)) for w in near])
        else:
            options.append([(word, variants)])
    rows, seen = [], set()
    for fixed in itertools.islice(itertools.product(*options), MAX_FIXES):
        counts = _counts(db, [w for w, _ in fixed], places)
        if any(sum(counts[w]) == 0 for w, _ in fixed):
            continue
        for row in _matches(db, list(fixed), counts, places, want):
            if row["id"] not in seen:
                seen.add(row["id"])
                rows.append(row)
        if len(rows) >= want:
            break
    return rows[:want]


def _range(table: str, column: str, prefix: str) -> tuple[str, list]:
    """Candidate source: the attendees with a ``table`` row starting with ``prefix``."""
    return f"SELECT attendee_id FROM {table} WHERE {column} >= ? AND {column} < ?", [prefix, prefix + TOP]


def _word_source(prefix: str) -> tuple[str, list]:
    """Candidate source: the attendees with a word starting with ``prefix``, family
    and given names first, then middle names, then schools and classes (by the
    role index, one range each), so the MAX_CANDIDATES that are ranked are the
    ones that can score best."""
    parts = [f"SELECT attendee_id FROM attendee_words INDEXED BY attendee_words_role "
             f"WHERE {roles} AND word >= ? AND word < ?"
             for roles in (f"role IN ({FAMILY}, {GIVEN})", f"role = {MIDDLE}", f"role IN ({SCHOOL}, {CLASS})")]
    return " UNION ALL ".join(parts), [prefix, prefix + TOP] * 3


def _ranked(db, terms, source: tuple[str, list], count: int, sure=(), place=None, order=()) -> list[dict]:
    """The best ``count`` attendees among those of ``source`` (SQL, parameters) that have every word.

    ``sure``: words every row of ``source`` has; ``place``: the school and class
    filter of :func:`place_filter` (its words are sure then); ``order``: the
    words rarest first, checked in that order (the first that fails stops).
    """
    params: list = []
    columns = []
    for i, (word, variants) in enumerate(terms):
        columns.append(f"(SELECT MAX({_score_sql(len(variants))}) FROM attendee_words w "
                       f"WHERE w.attendee_id = d.attendee_id AND w.word >= ? AND w.word < ?) AS v{i}")
        params += [*variants, word, word, word + TOP]
    # The candidates' subquery comes after the scores in the SQL text, so do its parameters.
    # It keeps only attendees with every word (EXISTS stops at the first index
    # entry), so the full scores are computed for the few that match.
    source_sql, source_params = source
    params += source_params
    join = ""
    if place is not None:
        join = f" JOIN attendees a ON a.id = c.attendee_id AND a.purged_at IS NULL AND {place[0]}"
        params += place[1]
    checks = [w for w in dict.fromkeys([*order, *(w for w, _ in terms)]) if w not in sure]
    every = "".join(" AND EXISTS (SELECT 1 FROM attendee_words e WHERE e.attendee_id = c.attendee_id "
                    "AND e.word >= ? AND e.word < ?)" for _ in checks)
    for word in checks:
        params += [word, word + TOP]
    matched = (f"SELECT d.attendee_id, {', '.join(columns)} "
               f"FROM (SELECT DISTINCT c.attendee_id FROM ({source_sql}) c{join} WHERE 1{every} "
               f"LIMIT {max(MAX_CANDIDATES, count)}) d")
    names = [f"m.v{i}" for i in range(len(terms))]
    total = " + ".join(f"({n} / {_SHIFT})" for n in names)
    in_order = " AND ".join(f"({a} % {_SHIFT}) < ({b} % {_SHIFT})" for a, b in zip(names, names[1:])) or "0"
    present = " AND ".join(f"{n} IS NOT NULL" for n in names)
    # MATERIALIZED: each score subquery runs once per candidate, not once per use.
    sql = (f"WITH m AS MATERIALIZED ({matched}) "
           f"SELECT {RESULT_COLUMNS}, {total} + CASE WHEN {in_order} THEN {IN_ORDER} ELSE 0 END AS score "
           f"FROM m JOIN attendees a ON a.id = m.attendee_id "
           f"WHERE {present} AND a.purged_at IS NULL "
           f"ORDER BY score DESC, a.name_sort, a.id LIMIT ?")
    return [dict(r) for r in db.execute(sql, params + [count]).fetchall()]


def _tiers(word: str, variants: list[str]) -> list[tuple[str, list]]:
    """(WHERE clause, parameters) of each score level of a one-word query, best first."""
    exact = f"exact IN ({', '.join('?' for _ in variants)})"
    same, prefix = ("word = ?", [word]), ("word > ? AND word < ?", [word, word + TOP])
    ends, middle, other = f"role IN ({FAMILY}, {GIVEN})", f"role = {MIDDLE}", f"role IN ({SCHOOL}, {CLASS})"
    return [
        (f"{same[0]} AND {ends} AND {exact}", same[1] + variants),
        (f"{same[0]} AND {middle} AND {exact}", same[1] + variants),
        (f"{same[0]} AND {ends}", same[1]),
        (f"{same[0]} AND {middle}", same[1]),
        (f"{prefix[0]} AND {ends}", prefix[1]),
        (f"{prefix[0]} AND {middle}", prefix[1]),
        (f"{same[0]} AND {other} AND {exact}", same[1] + variants),
        (f"{same[0]} AND {other}", same[1]),
        (f"{prefix[0]} AND {other}", prefix[1]),
    ]


def _tiered(db, term: tuple[str, list[str]], count: int) -> list[dict]:
    """The best ``count`` attendees for one common word, level by level.

    The levels are the scores :func:`_score_sql` gives one word, so the
    order is the same as the full ranking's except among equals, which come
    in index order (word, then registration) instead of by name: sorting
    tens of thousands of "Nguyễn" by name for one page costs more than a
    desk can wait.
    """
    ids: list[int] = []
    seen: set[int] = set()
    for where, params in _tiers(*term):
        # A prefix level reads by role, then word (migration m13): the primary
        # key would walk every middle name on the way to the family names.
        by = " INDEXED BY attendee_words_role" if where.startswith("word >") else ""
        rows = db.execute(f"SELECT DISTINCT attendee_id FROM attendee_words{by} WHERE {where} LIMIT ?",
                          params + [count + len(seen)]).fetchall()
        for (attendee_id,) in rows:
            if attendee_id not in seen:
                seen.add(attendee_id)
                ids.append(attendee_id)
        if len(ids) >= count:
            break
    ids = ids[:count]
    marks = ", ".join("?" for _ in ids)
    found = {r["id"]: dict(r) for r in db.execute(
        f"SELECT {RESULT_COLUMNS} FROM attendees a WHERE a.id IN ({marks}) AND a.purged_at IS NULL", ids)}
    return [found[i] for i in ids if i in found]


def _finish(db, rows: list[dict]) -> list[dict]:
    _add_namesakes(db, rows)
    return rows


def _add_namesakes(db, rows: list[dict]) -> None:
    """Count, for each result, the other attendees whose name folds the same."""
    counts: dict[str, int] = {}
    for row in rows:
        key = row.pop("name_fold")
        row.pop("score", None)
        if key not in counts:
            counts[key] = db.execute("SELECT COUNT(*) FROM attendees WHERE name_fold = ? AND purged_at IS NULL",
                                     [key]).fetchone()[0]
        row["namesakes"] = counts[key] - 1
