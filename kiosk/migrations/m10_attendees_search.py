"""Attendee search index: one row per folded word of a name, school and class."""
from . import migrations

# Characters that break words besides spaces ("Nguyễn-Văn", "Q.1", "9A/2").
# checkin.search splits queries on the same set; keep the two in step.
SEPARATORS = "-.,/()_;'\""
# Where a word comes from: family name, middle name(s), given name, school, class.
FAMILY, MIDDLE, GIVEN, SCHOOL, CLASS = 0, 1, 2, 3, 4


def _words_json(expr: str) -> str:
    """SQL turning a text expression into a JSON array of its words.

    Triggers cannot use recursive CTEs, but they can use json_each: the
    separators become spaces, runs of spaces collapse, quotes and
    backslashes are escaped and the spaces become '","'.
    """
    text = f"COALESCE({expr}, '')"
    for sep in SEPARATORS:
        literal = sep.replace("'", "''")
        text = f"replace({text}, '{literal}', ' ')"
    for _ in range(4):  # collapses runs of up to 16 spaces; longer ones leave empty words, skipped
        text = f"replace({text}, '  ', ' ')"
    text = f"replace(replace(trim({text}), '\\', '\\\\'), '\"', '\\\"')"
    return f"""('["' || replace({text}, ' ', '","') || '"]')"""


def _index_sql(row: str, source: str = "", where: str = "") -> str:
    """The INSERT statements (words, then pairs) adding the words of attendee ``row``: NEW in a trigger, or
    the alias of ``source`` ("attendees a, ") with a ``where`` prefix ("a.purged_at IS NULL AND ").

    The word lists are built once per statement in a subquery (LIMIT 1 keeps
    SQLite from copying the long expressions into every use).
    """
    parts = [("name_fold", "full_name", "f.key", f"""CASE WHEN f.key = 0 THEN {FAMILY}
                 WHEN f.key = json_array_length(x.folded) - 1 THEN {GIVEN} ELSE {MIDDLE} END"""),
             ("school_fold", "school", "100 + f.key", str(SCHOOL)),
             ("lower({row}.class_name)", "class_name", "200 + f.key", str(CLASS))]
    selects = []
    for folded, exact, pos, role in parts:
        folded = folded.format(row=row) if "{" in folded else f"{row}.{folded}"
        selects.append(
            f"""SELECT f.value, x.id, {pos}, {role}, COALESCE(e.value, f.value)
            FROM (SELECT {row}.id AS id, {_words_json(folded)} AS folded, {_words_json(f"{row}.{exact}")} AS exact
                  FROM {source.rstrip(", ") or "(SELECT 1)"} {"WHERE " + where[:-len(" AND ")] if where else ""}
                  {"" if source else "LIMIT 1"}) x,
                 json_each(x.folded) f LEFT JOIN json_each(x.exact) e ON e.key = f.key
            WHERE f.value != ''""")
    # One statement, not three: in a trigger each statement has its own cost.
    words = "INSERT INTO attendee_words (word, attendee_id, pos, role, exact)\n" + "\nUNION ALL ".join(selects)
    pairs = f"""INSERT OR IGNORE INTO attendee_pairs (pair, attendee_id)
            SELECT f.value || ' ' || g.value, x.id
            FROM (SELECT {row}.id AS id, {_words_json(f"{row}.name_fold")} AS folded
                  FROM {source.rstrip(", ") or "(SELECT 1)"} {"WHERE " + where[:-len(" AND ")] if where else ""}
                  {"" if source else "LIMIT 1"}) x,
                 json_each(x.folded) f JOIN json_each(x.folded) g ON g.key > f.key
            WHERE f.value != '' AND g.value != ''"""
    return words + ";\n" + pairs


def _places_trigger(name: str, event: str, removed: list[str], added: list[str]) -> str:
    """A trigger keeping attendee_places: counts down the ``removed`` row (OLD), up the ``added`` (NEW)."""
    steps = []
    for row in removed:
        for kind, column in (("school", "school_fold"), ("class", "class_name")):
            steps.append(f"""UPDATE attendee_places SET n = n - 1
                WHERE kind = '{kind}' AND value = {row}.{column} AND {row}.purged_at IS NULL;
            DELETE FROM attendee_places WHERE kind = '{kind}' AND value = {row}.{column} AND n <= 0;""")
    for row in added:
        for kind, column in (("school", "school_fold"), ("class", "class_name")):
            steps.append(f"""INSERT INTO attendee_places (kind, value, n)
                SELECT '{kind}', {row}.{column}, 1 WHERE {row}.{column} IS NOT NULL AND {row}.purged_at IS NULL
                ON CONFLICT (kind, value) DO UPDATE SET n = n + 1;""")
    body = "\n            ".join(steps)
    return f"""CREATE TRIGGER attendee_places_{name} {event}
        BEGIN
            {body}
        END;"""


@migrations()
def m100_attendees_search_words(db):
    # Measured (issue 14): LIKE '% word%' over name_fold reads every row and
    # cannot rank. A folded-word table answers "which attendees have a word
    # starting with X" with one index range, and carries what ranking needs:
    # where the word sits (family/middle/given, school, class) and its exact
    # spelling with accents. Triggers keep it in step with every writer
    # (desk, import, demo, benchmarks); purge and withdrawal delete the rows
    # (attendee_id column) and the DELETE trigger does too.
    # The insert trigger costs about 0.2 ms per attendee (json_each), four
    # times the row itself; a bulk import computes the words in Python
    # (checkin.search.index_rows) and writes them first, in the same
    # transaction (hence the deferred foreign key), and the trigger skips
    # attendees that already have words.
    db.executescript(
        """
        -- Columns in primary-key order: SQLite 3.40's quick_check reports false
        -- NULLs in a WITHOUT ROWID table whose key columns are declared out of order.
        CREATE TABLE attendee_words (
            word TEXT NOT NULL,
            exact TEXT NOT NULL,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE
                DEFERRABLE INITIALLY DEFERRED,
            pos INTEGER NOT NULL,
            role INTEGER NOT NULL,
            -- exact second: "Nguyễn" among 38,000 "nguyen" is one index seek
            PRIMARY KEY (word, exact, attendee_id, pos)
        ) WITHOUT ROWID;
        -- role too: scoring a candidate's words reads only this index (it holds the key columns)
        CREATE INDEX attendee_words_attendee ON attendee_words(attendee_id, word, role);

        -- Every ordered pair of name words ("nguyen van", "nguyen an", "van an"):
        -- Vietnamese names share few words (Nguyễn is about 38 %), so a single
        -- word matches tens of thousands of people in a big festival while two
        -- words in order narrow it to hundreds.
        CREATE TABLE attendee_pairs (
            pair TEXT NOT NULL,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE
                DEFERRABLE INITIALLY DEFERRED,
            PRIMARY KEY (pair, attendee_id)
        ) WITHOUT ROWID;
        CREATE INDEX attendee_pairs_attendee ON attendee_pairs(attendee_id);

        -- How many index rows each name word has (school and class words are
        -- counted in attendee_places): the search sums a prefix's counts here (a
        -- few rows) instead of counting thousands of index rows, picks the
        -- rarest word to find candidates, and knows that a word starting no
        -- name ("chu", "9a") can only be a school or class.
        CREATE TABLE attendee_vocab (
            word TEXT NOT NULL PRIMARY KEY,
            n INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- The distinct schools (kind 'school', school_fold) and classes (kind
        -- 'class', class_name) of attendees not purged, with how many each: a
        -- few hundred rows. A school or class word of a query becomes a filter
        -- on attendees(school_fold, class_name) instead of a candidate list.
        CREATE TABLE attendee_places (
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (kind, value)
        ) WITHOUT ROWID;
        -- a class word alone ("quan 9a"): the class's attendees from this index only
        CREATE INDEX attendees_class ON attendees(class_name, purged_at);
        """)
    db.executescript(_index_sql("a", "attendees a, ", "a.purged_at IS NULL AND "))
    db.executescript(
        f"""
        INSERT INTO attendee_vocab (word, n)
            SELECT word, COUNT(*) FROM attendee_words WHERE role < {SCHOOL} GROUP BY 1;
        INSERT INTO attendee_places (kind, value, n)
            SELECT 'school', school_fold, COUNT(*) FROM attendees
            WHERE purged_at IS NULL AND school_fold IS NOT NULL GROUP BY 2;
        INSERT INTO attendee_places (kind, value, n)
            SELECT 'class', class_name, COUNT(*) FROM attendees
            WHERE purged_at IS NULL AND class_name IS NOT NULL GROUP BY 2;
        -- Name words only: the trigger costs an import little for the other rows.
        CREATE TRIGGER attendee_vocab_insert AFTER INSERT ON attendee_words WHEN NEW.role < {SCHOOL}
        BEGIN
            INSERT INTO attendee_vocab (word, n) VALUES (NEW.word, 1)
            ON CONFLICT (word) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER attendee_vocab_delete AFTER DELETE ON attendee_words WHEN OLD.role < {SCHOOL}
        BEGIN
            UPDATE attendee_vocab SET n = n - 1 WHERE word = OLD.word;
            DELETE FROM attendee_vocab WHERE word = OLD.word AND n <= 0;
        END;
        {_places_trigger("insert", "AFTER INSERT ON attendees", [], ["NEW"])}
        {_places_trigger("update", "AFTER UPDATE OF school_fold, class_name, purged_at ON attendees",
                         ["OLD"], ["NEW"])}
        {_places_trigger("delete", "AFTER DELETE ON attendees", ["OLD"], [])}
        """)
    inserts = _index_sql("NEW")
    updates = _index_sql("NEW", where="NEW.purged_at IS NULL AND ")
    db.executescript(
        f"""
        CREATE TRIGGER attendee_words_insert AFTER INSERT ON attendees
        WHEN NEW.purged_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM attendee_words WHERE attendee_id = NEW.id)
        BEGIN
            {inserts};
        END;
        CREATE TRIGGER attendee_words_update
        AFTER UPDATE OF full_name, name_fold, school, school_fold, class_name, purged_at ON attendees
        BEGIN
            DELETE FROM attendee_words WHERE attendee_id = OLD.id;
            DELETE FROM attendee_pairs WHERE attendee_id = OLD.id;
            {updates};
        END;
        CREATE TRIGGER attendee_words_delete AFTER DELETE ON attendees
        BEGIN
            DELETE FROM attendee_words WHERE attendee_id = OLD.id;
            DELETE FROM attendee_pairs WHERE attendee_id = OLD.id;
        END;
        """)
