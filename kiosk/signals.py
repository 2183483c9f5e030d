"""Cross-feature effects travel by signals, not imports.

The service that causes an effect announces it with :func:`announce`, inside
its transaction: the signal is sent once, after the outermost commit, and
never for a write that was rolled back. Views never send signals. Receivers
must be cheap (mark something dirty, poke a coalescing pusher): they run
inside the request, socket event or background task that committed.
"""
from blinker import Namespace

from .db import after_commit

_signals = Namespace()

#: attendee_ids=[...] whose point totals changed (boards become stale)
points_changed = _signals.signal("points-changed")
#: attendee_id=, station=, undone=bool — check-in counters change
checked_in = _signals.signal("checked-in")
#: attendee_id=, nickname=, hidden=bool — every screen must re-render that name
nickname_changed = _signals.signal("nickname-changed")
#: zone_id=, attendee_id= — zone traffic and occupancy change
zone_visited = _signals.signal("zone-visited")
#: attendee_id= — a new attendee was registered (registered counter)
attendee_registered = _signals.signal("attendee-registered")
#: attendee_id=, rule_id=, claimed=bool — a passport reward was unlocked or claimed
reward_changed = _signals.signal("reward-changed")
#: game_id=, result= (podium, each player's standing) — a live game ended
game_ended = _signals.signal("game-ended")
#: opened= {"game", "question"} — a live question opened
question_opened = _signals.signal("question-opened")
#: summary= (the reveal: spread, top, each player's result) — a live question closed
question_closed = _signals.signal("question-closed")
#: game= — a live question was paused
game_paused = _signals.signal("game-paused")
#: resumed= {"game", "question"} — a paused question goes on
game_resumed = _signals.signal("game-resumed")
#: game_ids=[...] — a live game's counters changed (players joined or hidden, answers stored)
game_counts_changed = _signals.signal("game-counts-changed")
#: game_id=, player_id= — a host removed a player (their phones are told and disconnected)
player_removed = _signals.signal("player-removed")
#: device_id= — a device was revoked (its sockets are disconnected)
device_revoked = _signals.signal("device-revoked")
#: device_id= — a device reported its offline queue (the dashboard shows it)
device_reported = _signals.signal("device-reported")
#: link_id= — a stage link was revoked (its screens are disconnected)
stage_link_revoked = _signals.signal("stage-link-revoked")
#: hub= — a national hub imported a hub's newer outcomes bundle (the national board changes)
outcomes_imported = _signals.signal("outcomes-imported")


def announce(db, signal, **kwargs) -> None:
    """Send ``signal`` with ``kwargs`` after ``db``'s outermost commit. Within
    one transaction, announcements of one signal merge: list arguments
    (``attendee_ids``) are joined, so a reveal that awards 2,000 players
    sends ``points_changed`` once."""
    key = signal.name if any(isinstance(v, list) for v in kwargs.values()) else None
    after_commit(db, signal.send, None, merge_key=key, **kwargs)
