"""The python-socketio/engine.io internals the hub relies on are where
kiosk/realtime_adapter.py expects them: an upgrade that moves one fails here,
naming it, instead of failing quietly in a served hub."""
from __future__ import annotations

from importlib.metadata import version

from kiosk import realtime_adapter


def test_every_internal_the_adapter_reaches_is_where_it_expects():
    moved = realtime_adapter.check_internals()
    assert moved == [], (
        "python-socketio %s / python-engineio %s moved internals kiosk/realtime_adapter.py relies on:\n  %s"
        % (version("python-socketio"), version("python-engineio"), "\n  ".join(moved)))


def test_the_check_names_an_internal_that_moved(monkeypatch):
    monkeypatch.delattr(realtime_adapter.socketio.base_manager.BaseManager, "get_participants")
    moved = realtime_adapter.check_internals()
    assert any("get_participants is gone" in line for line in moved)


def test_the_installed_versions_are_the_pinned_series():
    """pyproject pins the minor series the adapter was tested with."""
    assert version("python-socketio").startswith("5.")
    assert version("python-engineio").startswith("4.")
