"""Players of a live game: joining (by code or with a badge), the rejoin
token, hiding a name and removing a player. Each change announces the game's
new counters (or the removal), after its commit."""
from __future__ import annotations

import secrets

from kiosk import nicknames
from kiosk.auth import hash_secret
from kiosk.db import transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.signals import announce, game_counts_changed, player_removed

from games import scoring
from games.live.state import MAX_PLAYERS, _game, open_game_by_code


def join_by_code(db, code, now: float, nickname: str | None = None, lang: str = "vi",
                 cap: int | None = None) -> dict:
    """A walk-up joins the open game ``code`` with a custom (filtered) or generated nickname.

    Returns ``{"player": row, "token": rejoin token, "game": row}``; the token
    is shown once (only its hash is stored). Raises ``unknown_code``,
    ``bad_nickname``, ``game_full`` (``cap`` players, default MAX_PLAYERS).
    """
    game = open_game_by_code(db, code)
    name = nicknames.validate(nickname) if nickname else nicknames.generate(lang)
    return _add_player(db, game, None, name, now, cap)


def join_with_badge(db, code, attendee_id: int, now: float, cap: int | None = None) -> dict:
    """A badge holder joins (or rejoins) game ``code`` under their festival nickname.

    Rejoining returns the same player (score kept) with a new token. Raises
    ``unknown_code``, ``unknown_attendee``, ``player_removed``, ``game_full``.
    """
    game = open_game_by_code(db, code)
    person = db.execute("SELECT nickname FROM attendees WHERE id = ? AND purged_at IS NULL",
                        [attendee_id]).fetchone()
    if person is None:
        raise NotFound("unknown_attendee", "No such attendee.")
    existing = db.execute("SELECT * FROM players WHERE game_id = ? AND attendee_id = ?",
                          [game["id"], attendee_id]).fetchone()
    if existing is None:
        return _add_player(db, game, attendee_id, person["nickname"], now, cap)
    if existing["removed"]:
        raise ServiceError("player_removed", "The host removed you from this game.", status=403)
    token = secrets.token_urlsafe(18)
    with transaction(db):
        db.execute("UPDATE players SET rejoin_hash = ? WHERE id = ?", [hash_secret(token), existing["id"]])
        announce(db, game_counts_changed, game_ids=[game["id"]])
    return {"player": dict(existing), "token": token, "game": game}


def _add_player(db, game: dict, attendee_id: int | None, nickname: str, now: float,
                cap: int | None = None) -> dict:
    """Insert the player in one statement (issue 17: a crowd of phones joins at once).

    Numbers run 1, 2, 3 … per game (purged players keep theirs used), so the
    highest number is the count of players ever joined: an index read, and
    the cap. A newcomer has 0 points and the latest ``reached_at``, so every
    active player ranks ahead: rank = active players + 1, gap = the lowest
    active score. Raises ``game_full``.
    """
    token = secrets.token_urlsafe(18)
    with transaction(db):
        row = db.execute(
            "INSERT INTO players (game_id, num, attendee_id, nickname, rejoin_hash, reached_at, joined_at, "
            "rank, gap) SELECT g.id, t.top + 1, :a, :nick, :hash, :now, :now, g.players_active + 1, "
            "COALESCE((SELECT MIN(score) FROM players WHERE game_id = g.id AND removed = 0), 0) "
            "FROM games g, (SELECT COALESCE(MAX(num), 0) AS top FROM players WHERE game_id = :g) t "
            "WHERE g.id = :g AND t.top < :cap RETURNING *",
            {"g": game["id"], "a": attendee_id, "nick": nickname, "hash": hash_secret(token), "now": now,
             "cap": cap or MAX_PLAYERS}).fetchone()
        if row is None:
            raise ServiceError("game_full", "This game is full.", status=409)
        player = dict(row)
        announce(db, game_counts_changed, game_ids=[game["id"]])
    return {"player": player, "token": token, "game": game}


def player_for_token(db, token) -> dict | None:
    """The (not removed) player holding rejoin ``token``, or None."""
    if not isinstance(token, str) or not 10 <= len(token) <= 100:
        return None
    row = db.execute("SELECT * FROM players WHERE rejoin_hash = ? AND removed = 0",
                     [hash_secret(token)]).fetchone()
    return dict(row) if row else None


def _player(db, game_id: int, player_id: int) -> dict:
    row = db.execute("SELECT * FROM players WHERE id = ? AND game_id = ?", [player_id, game_id]).fetchone()
    if row is None:
        raise NotFound("unknown_player", "No such player in this game.")
    return dict(row)


def hide_player(db, game_id: int, player_id: int, hidden: bool = True) -> dict:
    """Hide (or show again) a player's name on public screens. Raises ``unknown_player``."""
    with transaction(db):
        _player(db, game_id, player_id)
        db.execute("UPDATE players SET hidden = ? WHERE id = ?", [int(bool(hidden)), player_id])
        announce(db, game_counts_changed, game_ids=[game_id])
        return _player(db, game_id, player_id)


def remove_player(db, game_id: int, player_id: int) -> dict:
    """Remove a player: their token stops working and they leave every ranking
    (the others' stored ranks are recomputed); their phones are told and
    disconnected (``player_removed``). Raises ``unknown_player``.
    """
    with transaction(db):
        _player(db, game_id, player_id)
        db.execute("UPDATE players SET removed = 1, rank = NULL WHERE id = ?", [player_id])
        scoring.store_ranks(db, _game(db, game_id))
        announce(db, player_removed, game_id=game_id, player_id=player_id)
        return _player(db, game_id, player_id)
