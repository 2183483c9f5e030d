"""Live-game counters and stored ranks."""
from . import migrations


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
