"""Sizes and durations of each run mode: full (the lead's run on a quiet
machine), quick (about a minute) and smoke (CI keeps the harness working)."""
from __future__ import annotations

MODES = {
    "full": {
        "concurrency": [1, 8, 32], "reference_concurrency": 8, "duration_s": 10, "max_requests": 20_000,
        "large_db": (100_000, 1_000_000),
        "board_sizes": (1_000, 100_000), "board_repeats": 200,
        "players": [500, 1_000, 2_000], "questions": 3, "answer_window_s": 2.0, "player_processes": 2,
        "fanout_timeout_s": 400, "question_timeout_s": 75, "game_time_limit_s": 60, "after_reveal_s": 2.0,
        "badges_quick": False,
    },
    "quick": {
        "concurrency": [1, 8, 32], "reference_concurrency": 8, "duration_s": 3, "max_requests": 4_000,
        "large_db": (20_000, 200_000),
        "board_sizes": (1_000, 20_000), "board_repeats": 50,
        "players": [200], "questions": 2, "answer_window_s": 2.0, "player_processes": 2,
        "fanout_timeout_s": 150, "question_timeout_s": 45, "game_time_limit_s": 40, "after_reveal_s": 1.0,
        "badges_quick": True,
    },
    "smoke": {
        "concurrency": [1, 8], "reference_concurrency": 8, "duration_s": 1, "max_requests": 400,
        "large_db": (2_000, 20_000),
        "board_sizes": (200, 2_000), "board_repeats": 5,
        "players": [20], "questions": 1, "answer_window_s": 0.5, "player_processes": 2,
        "fanout_timeout_s": 90, "question_timeout_s": 30, "game_time_limit_s": 25, "after_reveal_s": 0.3,
        "badges_quick": True,
    },
}

PARTS = ("scan", "boards", "fanout", "badges", "search")
