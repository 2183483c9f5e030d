"""Quiz questions and self-paced rounds: the bank file format (``bank``),
storage and import (``questions``), rounds at kiosks and on phones
(``selfpaced``), their pages and API (``views``) and the organiser's question
page (``admin``)."""
from __future__ import annotations

from kiosk.views import add_admin_link

from . import admin, exports, questions, views  # noqa: F401  (admin adds its routes to views.bp)


def init_app(app) -> None:
    questions.init_app(app)  # upsert the shipped question banks (cheap when unchanged)
    views.init_app(app)
    exports.init_app(app)
    add_admin_link(app, "quiz.admin_questions", "Questions")
