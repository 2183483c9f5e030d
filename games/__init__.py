"""Question banks, self-paced rounds, live hosted games and scoring."""


def init_app(app) -> None:
    """Register the games blueprints and socket namespaces."""
    from kiosk.views import add_admin_link

    from . import cli, questions, quiz_admin, quiz_views  # noqa: F401 (quiz_admin adds routes)

    questions.init_app(app)  # upsert the shipped question banks (cheap when unchanged)
    cli.init_app(app)
    quiz_views.init_app(app)
    add_admin_link(app, "quiz.admin_questions", "Questions")

    from . import live_views

    live_views.init_app(app)  # live hosted games: /host, /host/screen/<id>, /play, sockets
