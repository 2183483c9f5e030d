"""Security: server-side staff sessions (logout and idle expiry end them)."""
from . import migrations


@migrations()
def m110_security_staff_sessions(db):
    db.executescript(
        """
        -- One row per staff sign-in. The session cookie carries the random id;
        -- only its SHA-256 is stored (a copied database file signs no one in).
        -- Logout, idle expiry, a password change or a disabled account set
        -- ended_at; a cookie whose row is ended or missing is nobody.
        CREATE TABLE staff_sessions (
            id INTEGER PRIMARY KEY,
            sid_hash TEXT NOT NULL UNIQUE,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            ended_why TEXT
        );
        CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, ended_at);
        """
    )
