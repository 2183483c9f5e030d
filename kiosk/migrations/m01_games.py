"""Question banks, self-paced rounds and live games."""
from . import migrations


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
