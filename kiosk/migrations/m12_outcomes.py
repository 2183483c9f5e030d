"""Outcomes: the impact report's anonymous facts, and kiosks that take exit scans."""
from . import migrations


@migrations()
def m120_outcomes_report_facts(db):
    db.executescript(
        """
        -- The impact report's anonymous counts (kiosk/report/facts.py), stored by
        -- the purge before it deletes the rows they come from, so the report
        -- reads the same after the purge. Keys are hours, age bands, zone
        -- slugs, schools with at least MIN_GROUP attendees, passport rule ids,
        -- question ids and option numbers, game ids: never a person.
        CREATE TABLE report_facts (
            fact TEXT NOT NULL,
            k1 TEXT NOT NULL DEFAULT '',
            k2 TEXT NOT NULL DEFAULT '',
            value INTEGER NOT NULL,
            PRIMARY KEY (fact, k1, k2)
        );

        -- A zone kiosk in 'exit' mode logs the scans it takes as exits
        -- (visits.kind = 'exit'); occupancy then uses the exits.
        ALTER TABLE devices ADD COLUMN scan_mode TEXT NOT NULL DEFAULT 'enter'
            CHECK (scan_mode IN ('enter', 'exit'));
        """
    )
