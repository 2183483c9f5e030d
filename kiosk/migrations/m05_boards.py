"""Running totals for the group and zone boards."""
from . import migrations


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
