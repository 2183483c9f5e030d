"""Ordered schema migrations (sqlite-migrate's ``Migrations`` for sqlite-utils).

One module per area and era, imported below in number order; registration
order is application order. Never edit a migration that has shipped: add a
new one in a new module with the next number and import it last. Names carry
an area prefix so features can add theirs without clashing.
"""
from sqlite_migrate import Migrations

migrations = Migrations("festival")


# Registration order is application order: import the areas in number order.
from . import m00_core, m01_games, m05_boards, m06_ops, m07_boards, m08_games  # noqa: E402,F401
from . import m10_attendees_search  # noqa: E402,F401
from . import m11_security  # noqa: E402,F401
from . import m12_outcomes  # noqa: E402,F401
from . import m13_search_roles  # noqa: E402,F401
from . import m14_desk_counters  # noqa: E402,F401
from . import m15_national  # noqa: E402,F401
