"""Operations: anonymous aggregates, purge speed."""
from . import migrations


@migrations()
def m060_ops_aggregates(db):
    db.executescript(
        """
        -- Anonymous counts kept after the purge (kiosk/purge.py): per zone, per
        -- question, per age band, check-ins per hour. Nothing here names a person.
        CREATE TABLE aggregates (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        );
        """
    )


@migrations()
def m061_ops_badges_replaced_by_index(db):
    # Deleting a badge makes SQLite look for badges whose replaced_by points at
    # it; without this index each delete reads the whole table, and purging
    # 100,000 badges took minutes instead of seconds.
    db.execute("CREATE INDEX IF NOT EXISTS badges_replaced_by ON badges(replaced_by)")
