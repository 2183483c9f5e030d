"""Cross-feature effects travel by signals, not imports.

Send a signal only after the transaction that caused it has committed, so a
subscriber never acts on a write that was rolled back. Subscribers must be
cheap (mark something dirty, emit a small event): they run inside the
request or socket event that sent the signal.
"""
from blinker import Namespace

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
