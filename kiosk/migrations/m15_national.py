"""National: hubs a national hub trusts, their latest outcomes bundles and the
bundles' anonymous counts (kiosk/national/)."""
from . import migrations


@migrations()
def m150_national_bundles(db):
    db.executescript(
        """
        -- Hubs whose signed outcomes bundles this (national) hub accepts: by a
        -- key file ('festival outcomes trust') or a pairing code.
        CREATE TABLE national_hubs (
            key TEXT PRIMARY KEY,             -- fingerprint of the Ed25519 public key
            public_key TEXT NOT NULL UNIQUE,  -- raw 32 bytes, base64
            label TEXT NOT NULL DEFAULT '',
            via TEXT NOT NULL CHECK (via IN ('keyfile', 'pairing')),
            trusted_by TEXT NOT NULL,
            trusted_at TEXT NOT NULL
        );
        -- One-time codes a national hub hands a venue so its first push registers it.
        CREATE TABLE national_pairings (
            id INTEGER PRIMARY KEY,
            code_hash TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            hub_key TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        -- The latest bundle of each hub (a newer sequence replaces it).
        CREATE TABLE national_bundles (
            hub_key TEXT PRIMARY KEY REFERENCES national_hubs(key),
            bundle_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            generated_at TEXT NOT NULL,
            event_name TEXT NOT NULL,
            province TEXT NOT NULL,
            kind TEXT NOT NULL,
            dates TEXT NOT NULL,              -- JSON list of ISO dates
            registered INTEGER NOT NULL,
            checked_in INTEGER NOT NULL,
            visits INTEGER NOT NULL,
            answers INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL
        );
        CREATE INDEX national_bundles_province ON national_bundles (province);
        -- The counts of each hub's latest bundle: (fact, k1, k2) -> value, as in report_facts.
        CREATE TABLE national_facts (
            hub_key TEXT NOT NULL,
            fact TEXT NOT NULL,
            k1 TEXT NOT NULL,
            k2 TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (hub_key, fact, k1, k2)
        ) WITHOUT ROWID;
        CREATE INDEX national_facts_fact ON national_facts (fact, k1, k2, value);
        -- Names carried by bundles: topics, questions, options (latest wins).
        CREATE TABLE national_names (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            vi TEXT NOT NULL,
            en TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        """
    )
