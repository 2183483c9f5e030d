"""Sizes and durations of each run mode: full (the lead's run on a quiet
machine), quick (about a minute) and smoke (CI keeps the harness working)."""
from __future__ import annotations

MODES = {
    "full": {
        # part 6 (bench/hostile.py): idle upgrades one address tries to hold, phase length, ramp-up
        "hostile_sockets": 4000, "hostile_duration_s": 10, "hostile_ramp_s": 8,
        "concurrency": [1, 8, 32], "reference_concurrency": 8, "duration_s": 10, "max_requests": 20_000,
        "large_db": (100_000, 1_000_000),
        "board_sizes": (1_000, 100_000), "board_repeats": 200,
        "players": [1_000, 2_000, 5_000], "questions": 5, "answer_window_s": 2.0, "player_processes": 2,
        "arrival_s": 10.0, "gc_tune": True, "fanout_timeout_s": 400, "question_timeout_s": 75, "game_time_limit_s": 60, "after_reveal_s": 2.0,
        "badges_quick": False,
        # part 7 (bench/failover.py): paced zone scans per second and seconds of lag sampling
        "failover_rate": 200, "failover_seconds": 30,
        "national_bundles": 5000,  # part 8 (bench/national.py)
    },
    "quick": {
        # part 6 (bench/hostile.py): idle upgrades one address tries to hold, phase length, ramp-up
        "hostile_sockets": 4000, "hostile_duration_s": 5, "hostile_ramp_s": 4,
        "concurrency": [1, 8, 32], "reference_concurrency": 8, "duration_s": 3, "max_requests": 4_000,
        "large_db": (20_000, 200_000),
        "board_sizes": (1_000, 20_000), "board_repeats": 50,
        "players": [1_000], "questions": 3, "answer_window_s": 2.0, "player_processes": 2,
        "arrival_s": 10.0, "gc_tune": True, "fanout_timeout_s": 150, "question_timeout_s": 45, "game_time_limit_s": 40, "after_reveal_s": 1.0,
        "badges_quick": True,
        "failover_rate": 200, "failover_seconds": 8,
        "national_bundles": 1000,
    },
    "smoke": {
        # part 6 (bench/hostile.py): idle upgrades one address tries to hold, phase length, ramp-up
        "hostile_sockets": 200, "hostile_duration_s": 1, "hostile_ramp_s": 1,
        "concurrency": [1, 8], "reference_concurrency": 8, "duration_s": 1, "max_requests": 400,
        "large_db": (2_000, 20_000),
        "board_sizes": (200, 2_000), "board_repeats": 5,
        "players": [20], "questions": 1, "answer_window_s": 0.5, "player_processes": 2,
        "arrival_s": 1.0, "gc_tune": True, "fanout_timeout_s": 90, "question_timeout_s": 30, "game_time_limit_s": 25, "after_reveal_s": 0.3,
        "badges_quick": True,
        "failover_rate": 50, "failover_seconds": 3,
        "national_bundles": 100,
    },
}

PARTS = ("scan", "boards", "fanout", "badges", "search", "hostile", "failover", "national")
