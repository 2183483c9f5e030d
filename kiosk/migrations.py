"""Ordered schema migrations (sqlite-migrate's ``Migrations`` for sqlite-utils).

Never edit a migration that has shipped: add a new one at the end. Names
carry an area prefix so features can add theirs without clashing.
"""
from sqlite_migrate import Migrations

migrations = Migrations("festival")


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


@migrations()
def m010_games_questions(db):
    db.executescript(
        """
        -- Question banks (shipped with the product or imported by an organiser).
        CREATE TABLE question_banks (
            bank TEXT PRIMARY KEY,
            title_vi TEXT NOT NULL,
            title_en TEXT NOT NULL,
            topics TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL CHECK (source IN ('shipped', 'import')),
            imported_at TEXT NOT NULL,
            imported_by TEXT
        );

        -- One row per question; data holds the whole validated question as JSON.
        -- Questions dropped from a re-imported bank become inactive, never deleted:
        -- past rounds and games still point at them.
        CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            bank TEXT NOT NULL REFERENCES question_banks(bank),
            topic TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            imported_at TEXT NOT NULL
        );
        CREATE INDEX questions_bank ON questions(bank, active, topic);

        -- Self-paced rounds: scored = the attendee's first round of this bank.
        CREATE TABLE quiz_rounds (
            id INTEGER PRIMARY KEY,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            bank TEXT NOT NULL,
            question_ids TEXT NOT NULL,
            scored INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            score INTEGER NOT NULL DEFAULT 0,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL
        );
        CREATE INDEX quiz_rounds_attendee ON quiz_rounds(attendee_id, bank);
        -- At most one scored round per attendee and bank, whatever races happen.
        CREATE UNIQUE INDEX quiz_rounds_one_scored ON quiz_rounds(attendee_id, bank) WHERE scored = 1;

        CREATE TABLE quiz_answers (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES quiz_rounds(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            choice TEXT NOT NULL,
            correct INTEGER NOT NULL,
            points INTEGER NOT NULL DEFAULT 0,
            client_id TEXT NOT NULL UNIQUE,
            answered_at TEXT NOT NULL,
            UNIQUE (round_id, idx)
        );
        """
    )


@migrations()
def m011_games_live(db):
    db.executescript(
        """
        -- Live hosted games. Clock values (question_started_at, deadline,
        -- paused_remaining, answered_at, reached_at, joined_at) are epoch
        -- seconds (REAL) from the hub's clock: the server owns the time.
        CREATE TABLE games (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL,
            bank TEXT,
            title TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('speed', 'accuracy')),
            streak_bonus INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'lobby'
                CHECK (state IN ('lobby', 'question', 'reveal', 'paused', 'ended')),
            current_idx INTEGER NOT NULL DEFAULT -1,
            question_count INTEGER NOT NULL,
            question_started_at REAL,
            deadline REAL,
            paused_remaining REAL,
            host TEXT NOT NULL,
            created_at REAL NOT NULL,
            ended_at REAL
        );
        -- A join code is unique among games that are still open.
        CREATE UNIQUE INDEX games_open_code ON games(code) WHERE state != 'ended';
        CREATE INDEX games_state ON games(state, deadline);

        CREATE TABLE game_questions (
            game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            time_limit INTEGER NOT NULL,
            closed_at REAL,
            skipped INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (game_id, idx)
        );

        CREATE TABLE players (
            id INTEGER PRIMARY KEY,
            game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
            num INTEGER NOT NULL,
            attendee_id INTEGER REFERENCES attendees(id) ON DELETE SET NULL,
            nickname TEXT NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            rejoin_hash TEXT NOT NULL UNIQUE,
            score INTEGER NOT NULL DEFAULT 0,
            streak INTEGER NOT NULL DEFAULT 0,
            correct_count INTEGER NOT NULL DEFAULT 0,
            total_time_ms INTEGER NOT NULL DEFAULT 0,
            reached_at REAL NOT NULL,
            joined_at REAL NOT NULL,
            UNIQUE (game_id, num)
        );
        CREATE INDEX players_game ON players(game_id, removed, score);
        -- A badge holder plays a game once (rejoining gets the same player back).
        CREATE UNIQUE INDEX players_one_badge ON players(game_id, attendee_id)
            WHERE attendee_id IS NOT NULL;

        CREATE TABLE game_answers (
            id INTEGER PRIMARY KEY,
            game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
            player_id INTEGER NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            choice TEXT NOT NULL,
            correct INTEGER NOT NULL,
            points INTEGER NOT NULL DEFAULT 0,
            elapsed_ms INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            answered_at REAL NOT NULL,
            UNIQUE (player_id, idx)
        );
        CREATE INDEX game_answers_question ON game_answers(game_id, idx);
        """
    )


@migrations()
def m050_boards_totals(db):
    """Running totals for the school/class and zone boards, kept by triggers so
    that a board is read from a small table or an index, never the ledger."""
    db.executescript(
        """
        -- One row per (school, class): sum of points and members with points.
        CREATE TABLE board_group_totals (
            school_fold TEXT NOT NULL,
            class_name TEXT NOT NULL DEFAULT '',
            school TEXT NOT NULL,
            points INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 0,
            reached_at TEXT NOT NULL,
            PRIMARY KEY (school_fold, class_name)
        );

        -- Points and visits per attendee at each zone, from the visits log.
        CREATE TABLE zone_totals (
            zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            points INTEGER NOT NULL DEFAULT 0,
            visits INTEGER NOT NULL DEFAULT 0,
            reached_at TEXT NOT NULL,
            PRIMARY KEY (zone_id, attendee_id)
        );
        CREATE INDEX zone_totals_rank ON zone_totals(zone_id, points DESC, reached_at ASC);

        INSERT INTO board_group_totals (school_fold, class_name, school, points, active, reached_at)
        SELECT a.school_fold, COALESCE(a.class_name, ''), MIN(a.school), SUM(t.points),
               SUM(t.points > 0), MAX(t.reached_at)
        FROM point_totals t JOIN attendees a ON a.id = t.attendee_id
        WHERE COALESCE(a.school_fold, '') != ''
        GROUP BY a.school_fold, COALESCE(a.class_name, '');

        INSERT INTO zone_totals (zone_id, attendee_id, points, visits, reached_at)
        SELECT zone_id, attendee_id, SUM(points), SUM(kind = 'enter'), MAX(at)
        FROM visits WHERE kind != 'exit' GROUP BY zone_id, attendee_id;

        CREATE TRIGGER boards_totals_insert AFTER INSERT ON point_totals
        BEGIN
            INSERT INTO board_group_totals (school_fold, class_name, school, points, active, reached_at)
            SELECT a.school_fold, COALESCE(a.class_name, ''), a.school, NEW.points, NEW.points > 0,
                   NEW.reached_at
            FROM attendees a WHERE a.id = NEW.attendee_id AND COALESCE(a.school_fold, '') != ''
            ON CONFLICT (school_fold, class_name) DO UPDATE SET
                points = points + excluded.points, active = active + excluded.active,
                reached_at = excluded.reached_at;
        END;

        CREATE TRIGGER boards_totals_update AFTER UPDATE OF points ON point_totals
        BEGIN
            UPDATE board_group_totals SET
                points = points + NEW.points - OLD.points,
                active = active + (NEW.points > 0) - (OLD.points > 0),
                reached_at = NEW.reached_at
            WHERE (school_fold, class_name) IN (
                SELECT school_fold, COALESCE(class_name, '') FROM attendees WHERE id = NEW.attendee_id);
        END;

        CREATE TRIGGER boards_totals_delete AFTER DELETE ON point_totals
        BEGIN
            UPDATE board_group_totals SET
                points = points - OLD.points, active = active - (OLD.points > 0)
            WHERE (school_fold, class_name) IN (
                SELECT school_fold, COALESCE(class_name, '') FROM attendees WHERE id = OLD.attendee_id);
        END;

        -- An attendee moved to another school or class takes their points along.
        CREATE TRIGGER boards_attendee_moved
        AFTER UPDATE OF school_fold, class_name ON attendees
        WHEN (COALESCE(OLD.school_fold, '') IS NOT COALESCE(NEW.school_fold, '')
              OR COALESCE(OLD.class_name, '') IS NOT COALESCE(NEW.class_name, ''))
             AND EXISTS (SELECT 1 FROM point_totals WHERE attendee_id = NEW.id)
        BEGIN
            UPDATE board_group_totals SET
                points = points - (SELECT points FROM point_totals WHERE attendee_id = NEW.id),
                active = active - (SELECT points > 0 FROM point_totals WHERE attendee_id = NEW.id)
            WHERE school_fold = OLD.school_fold AND class_name = COALESCE(OLD.class_name, '');
            INSERT INTO board_group_totals (school_fold, class_name, school, points, active, reached_at)
            SELECT NEW.school_fold, COALESCE(NEW.class_name, ''), NEW.school, t.points, t.points > 0,
                   t.reached_at
            FROM point_totals t WHERE t.attendee_id = NEW.id AND COALESCE(NEW.school_fold, '') != ''
            ON CONFLICT (school_fold, class_name) DO UPDATE SET
                points = points + excluded.points, active = active + excluded.active;
        END;

        CREATE TRIGGER boards_visit_insert AFTER INSERT ON visits WHEN NEW.kind != 'exit'
        BEGIN
            INSERT INTO zone_totals (zone_id, attendee_id, points, visits, reached_at)
            VALUES (NEW.zone_id, NEW.attendee_id, NEW.points, NEW.kind = 'enter', NEW.at)
            ON CONFLICT (zone_id, attendee_id) DO UPDATE SET
                points = points + excluded.points, visits = visits + excluded.visits,
                reached_at = CASE WHEN excluded.points = 0 THEN reached_at ELSE excluded.reached_at END;
        END;

        CREATE TRIGGER boards_visit_delete AFTER DELETE ON visits WHEN OLD.kind != 'exit'
        BEGIN
            UPDATE zone_totals SET points = points - OLD.points, visits = visits - (OLD.kind = 'enter')
            WHERE zone_id = OLD.zone_id AND attendee_id = OLD.attendee_id;
        END;
        """
    )


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


@migrations()
def m070_boards_rank_indexes(db):
    # Measured: the schools board grouped every class row on each push (3 ms
    # at 100,000 attendees, 7.6x the 1,000-attendee time). Per-school totals
    # kept by triggers, and indexed scores, make both group boards an index
    # range read whatever the festival's size.
    db.executescript(
        """
        ALTER TABLE board_group_totals ADD COLUMN avg_score REAL
            GENERATED ALWAYS AS (CASE WHEN active > 0 THEN CAST(points AS REAL) / active END) VIRTUAL;
        CREATE INDEX board_group_avg ON board_group_totals(avg_score DESC, reached_at) WHERE active > 0;
        CREATE INDEX board_group_sum ON board_group_totals(points DESC, reached_at) WHERE active > 0;

        CREATE TABLE board_school_totals (
            school_fold TEXT PRIMARY KEY,
            school TEXT NOT NULL,
            points INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 0,
            reached_at TEXT NOT NULL,
            avg_score REAL GENERATED ALWAYS AS
                (CASE WHEN active > 0 THEN CAST(points AS REAL) / active END) VIRTUAL
        );
        CREATE INDEX board_school_avg ON board_school_totals(avg_score DESC, reached_at) WHERE active > 0;
        CREATE INDEX board_school_sum ON board_school_totals(points DESC, reached_at) WHERE active > 0;

        INSERT INTO board_school_totals (school_fold, school, points, active, reached_at)
        SELECT school_fold, MIN(school), SUM(points), SUM(active), MAX(reached_at)
        FROM board_group_totals GROUP BY school_fold;

        CREATE TRIGGER boards_school_insert AFTER INSERT ON board_group_totals
        BEGIN
            INSERT INTO board_school_totals (school_fold, school, points, active, reached_at)
            VALUES (NEW.school_fold, NEW.school, NEW.points, NEW.active, NEW.reached_at)
            ON CONFLICT (school_fold) DO UPDATE SET
                points = points + excluded.points, active = active + excluded.active,
                reached_at = MAX(reached_at, excluded.reached_at);
        END;

        CREATE TRIGGER boards_school_update AFTER UPDATE ON board_group_totals
        BEGIN
            UPDATE board_school_totals SET
                points = points - OLD.points, active = active - OLD.active
            WHERE school_fold = OLD.school_fold;
            INSERT INTO board_school_totals (school_fold, school, points, active, reached_at)
            VALUES (NEW.school_fold, NEW.school, NEW.points, NEW.active, NEW.reached_at)
            ON CONFLICT (school_fold) DO UPDATE SET
                points = points + excluded.points, active = active + excluded.active,
                reached_at = CASE WHEN NEW.points != OLD.points THEN excluded.reached_at ELSE reached_at END;
        END;

        CREATE TRIGGER boards_school_delete AFTER DELETE ON board_group_totals
        BEGIN
            UPDATE board_school_totals SET points = points - OLD.points, active = active - OLD.active
            WHERE school_fold = OLD.school_fold;
        END;
        """
    )


@migrations()
def m080_games_perf_counters_ranks(db):
    # Measured (issue 7): every answer counted the game's players and answers
    # and every ack/reconnect ranked the game, O(N) each, O(N²) per question.
    # Counters kept by triggers answer "has everyone answered?" with one row
    # read, and each player's rank and gap, stored when scores change (a
    # question closes, a player is removed), make an ack or reconnect one
    # primary-key read. Both are derived from the rows, in the same
    # transaction, so a restart needs no rebuild.
    db.executescript(
        """
        ALTER TABLE games ADD COLUMN players_active INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE game_questions ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE players ADD COLUMN rank INTEGER;
        ALTER TABLE players ADD COLUMN gap INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX players_rank ON players(game_id, rank) WHERE removed = 0;

        UPDATE games SET players_active =
            (SELECT COUNT(*) FROM players p WHERE p.game_id = games.id AND p.removed = 0);
        UPDATE game_questions SET answered =
            (SELECT COUNT(*) FROM game_answers a JOIN players p ON p.id = a.player_id
             WHERE a.game_id = game_questions.game_id AND a.idx = game_questions.idx AND p.removed = 0);
        UPDATE players SET rank = r.position, gap = r.gap FROM (
            SELECT p.id,
                   ROW_NUMBER() OVER w AS position,
                   COALESCE(LAG(p.score) OVER w - p.score, 0) AS gap
            FROM players p JOIN games g ON g.id = p.game_id WHERE p.removed = 0
            WINDOW w AS (PARTITION BY p.game_id ORDER BY p.score DESC,
                         CASE WHEN g.mode = 'accuracy' THEN p.total_time_ms ELSE 0 END,
                         p.reached_at, p.id)
        ) AS r WHERE r.id = players.id;

        CREATE TRIGGER games_player_added AFTER INSERT ON players WHEN NEW.removed = 0
        BEGIN
            UPDATE games SET players_active = players_active + 1 WHERE id = NEW.game_id;
        END;
        -- A deleted player's answers are counted down by games_answer_deleted
        -- (the purge deletes them first; a cascade may run either side).
        CREATE TRIGGER games_player_deleted AFTER DELETE ON players WHEN OLD.removed = 0
        BEGIN
            UPDATE games SET players_active = players_active - 1 WHERE id = OLD.game_id;
        END;
        CREATE TRIGGER games_player_removed AFTER UPDATE OF removed ON players
            WHEN NEW.removed != OLD.removed
        BEGIN
            UPDATE games SET players_active = players_active + CASE WHEN NEW.removed THEN -1 ELSE 1 END
            WHERE id = NEW.game_id;
            UPDATE game_questions SET answered = answered + CASE WHEN NEW.removed THEN -1 ELSE 1 END
            WHERE game_id = NEW.game_id AND idx IN (SELECT idx FROM game_answers WHERE player_id = NEW.id);
        END;
        CREATE TRIGGER games_answer_added AFTER INSERT ON game_answers
            WHEN (SELECT removed FROM players WHERE id = NEW.player_id) = 0
        BEGIN
            UPDATE game_questions SET answered = answered + 1 WHERE game_id = NEW.game_id AND idx = NEW.idx;
        END;
        CREATE TRIGGER games_answer_deleted AFTER DELETE ON game_answers
            WHEN IFNULL((SELECT removed FROM players WHERE id = OLD.player_id), 0) = 0
        BEGIN
            UPDATE game_questions SET answered = answered - 1 WHERE game_id = OLD.game_id AND idx = OLD.idx;
        END;
        """
    )
