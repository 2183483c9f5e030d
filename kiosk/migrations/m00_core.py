"""Core, attendees and badges, scans and the points ledger."""
from . import migrations


@migrations()
def m001_core(db):
    db.executescript(
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);

        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'admin',
            display_name TEXT,
            created_at TEXT NOT NULL,
            disabled_at TEXT
        );

        CREATE TABLE zones (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'zone'
                CHECK (kind IN ('zone', 'vr_ar', 'workshop', 'stage', 'booth', 'quiz')),
            points INTEGER NOT NULL DEFAULT 10 CHECK (points >= 0),
            cooldown_s INTEGER NOT NULL DEFAULT 600 CHECK (cooldown_s >= 0),
            capacity INTEGER,
            dwell_s INTEGER NOT NULL DEFAULT 900,
            active INTEGER NOT NULL DEFAULT 1,
            sort INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );

        CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'desk', 'zone', 'host', 'stage')),
            zone_id INTEGER REFERENCES zones(id),
            credential_hash TEXT UNIQUE,
            pairing_hash TEXT UNIQUE,
            pairing_expires_at TEXT,
            paired_at TEXT,
            revoked_at TEXT,
            last_seen_at TEXT,
            queue_length INTEGER NOT NULL DEFAULT 0,
            created_by TEXT,
            created_at TEXT NOT NULL
        );

        -- Read-only links for stage screens that are not paired devices.
        CREATE TABLE stage_links (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        """
    )


@migrations()
def m002_checkin_attendees(db):
    db.executescript(
        """
        CREATE TABLE attendees (
            id INTEGER PRIMARY KEY,
            full_name TEXT NOT NULL,
            name_fold TEXT NOT NULL,
            name_sort TEXT NOT NULL,
            nickname TEXT NOT NULL,
            nickname_hidden INTEGER NOT NULL DEFAULT 0,
            age_band TEXT NOT NULL CHECK (age_band IN ('u7', '7-15', '16-17', '18+')),
            school TEXT,
            school_fold TEXT,
            class_name TEXT,
            source TEXT NOT NULL DEFAULT 'import'
                CHECK (source IN ('import', 'walkin', 'self', 'demo', 'game')),
            consent_child INTEGER NOT NULL DEFAULT 0,
            consent_guardian INTEGER NOT NULL DEFAULT 0,
            consent_public INTEGER NOT NULL DEFAULT 0,
            consent_photo INTEGER NOT NULL DEFAULT 0,
            consent_by TEXT,
            consent_method TEXT,
            consent_at TEXT,
            guardian_contact TEXT,
            checked_in_at TEXT,
            checked_in_by TEXT,
            created_at TEXT NOT NULL,
            purged_at TEXT
        );
        CREATE INDEX attendees_name_fold ON attendees(name_fold);
        CREATE INDEX attendees_school_class ON attendees(school_fold, class_name);
        CREATE INDEX attendees_checked_in ON attendees(checked_in_at);

        CREATE TABLE badges (
            token TEXT PRIMARY KEY,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            issued_at TEXT NOT NULL,
            issued_by TEXT,
            revoked_at TEXT,
            replaced_by TEXT REFERENCES badges(token)
        );
        CREATE INDEX badges_attendee ON badges(attendee_id);
        -- at most one live badge per attendee
        CREATE UNIQUE INDEX badges_one_live ON badges(attendee_id) WHERE revoked_at IS NULL;

        -- Check-in history; attendees.checked_in_at holds the live state.
        CREATE TABLE checkins (
            id INTEGER PRIMARY KEY,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            scan_id TEXT,
            station TEXT,
            method TEXT NOT NULL DEFAULT 'scan',
            at TEXT NOT NULL,
            by TEXT,
            undone_at TEXT,
            undone_by TEXT
        );
        CREATE INDEX checkins_attendee ON checkins(attendee_id);
        CREATE INDEX checkins_at ON checkins(at);
        """
    )


@migrations()
def m003_scans_and_points(db):
    db.executescript(
        """
        -- Every scan a device sends, keyed by its client-generated id so a retry,
        -- a double tap or an offline replay is answered from here, never redone.
        CREATE TABLE scans (
            id TEXT PRIMARY KEY,
            device_id INTEGER REFERENCES devices(id),
            station TEXT,
            kind TEXT NOT NULL,
            zone_id INTEGER REFERENCES zones(id),
            scanned_text TEXT,
            attendee_id INTEGER REFERENCES attendees(id) ON DELETE SET NULL,
            result TEXT NOT NULL,
            response TEXT NOT NULL,
            client_time TEXT,
            server_time TEXT NOT NULL
        );
        CREATE INDEX scans_server_time ON scans(server_time);
        CREATE INDEX scans_attendee ON scans(attendee_id);

        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            zone_id INTEGER NOT NULL REFERENCES zones(id),
            scan_id TEXT,
            kind TEXT NOT NULL DEFAULT 'enter' CHECK (kind IN ('enter', 'exit', 'repeat')),
            points INTEGER NOT NULL DEFAULT 0,
            at TEXT NOT NULL
        );
        CREATE INDEX visits_attendee_zone ON visits(attendee_id, zone_id, at);
        CREATE INDEX visits_zone_at ON visits(zone_id, at);

        -- The points ledger: one row per award, idempotent by (source, reference).
        CREATE TABLE ledger (
            id INTEGER PRIMARY KEY,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            points INTEGER NOT NULL,
            source TEXT NOT NULL,
            reference TEXT NOT NULL,
            reason TEXT,
            at TEXT NOT NULL,
            UNIQUE (source, reference)
        );
        CREATE INDEX ledger_attendee ON ledger(attendee_id);

        -- Running totals, written in the same transaction as the ledger row.
        -- reached_at breaks ties: whoever reached the score first ranks higher.
        CREATE TABLE point_totals (
            attendee_id INTEGER PRIMARY KEY REFERENCES attendees(id) ON DELETE CASCADE,
            points INTEGER NOT NULL DEFAULT 0,
            reached_at TEXT NOT NULL
        );
        CREATE INDEX point_totals_rank ON point_totals(points DESC, reached_at ASC);

        CREATE TABLE passport_rules (
            id INTEGER PRIMARY KEY,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            rule TEXT NOT NULL CHECK (rule IN ('count', 'kind')),
            count INTEGER,
            zone_kind TEXT,
            reward_vi TEXT NOT NULL,
            reward_en TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        );

        CREATE TABLE rewards (
            id INTEGER PRIMARY KEY,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            rule_id INTEGER NOT NULL REFERENCES passport_rules(id),
            unlocked_at TEXT NOT NULL,
            claimed_at TEXT,
            claimed_by TEXT,
            UNIQUE (attendee_id, rule_id)
        );
        """
    )
