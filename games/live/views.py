"""Live-game pages and JSON endpoints (blueprint ``games``).

Pages: the host's console (``/host``), the big game screen
(``/host/screen/<id>``), the player page (``/play``, public) and a badge
holder's way in (``/b/<token>/play``). Game control itself runs over the
``/host`` socket namespace (games.live.sockets). Joining announces the new
player (games.live.game); the counters' push is games/live/pushes.py.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from kiosk import phones
from kiosk.assets import render_shared
from kiosk.auth import current_principal, role_required
from kiosk.badgecheck import lookup_badge
from kiosk.db import get_db
from kiosk.errors import NotFound, ServiceError, json_body
from kiosk.i18n import both
from kiosk.network import device_base_url
from kiosk.realtime import socketio
from kiosk.security import csrf_exempt, rate_limit

from games.live import db as live_db
from games.live import game as live
from games.quiz import questions
from games import scoring
from games.live import results, sockets
from games.live.clock import clock, ensure_clock
from games.live.snapshots import player_cap

bp = Blueprint("games", __name__)

def _join_url(game) -> str:
    """The join address a phone opens: the hub's address for other devices
    (kiosk/network.py) and, with ``--workers``, the port of a phone process, so the
    crowd's page loads and joins stay off the staff's hub (kiosk/phones.py).
    ``PUBLIC_URL``, when set, is taken as it is."""
    config = current_app.config
    base = device_base_url()[0]
    if not config.get("PUBLIC_URL"):
        parts = urlsplit(base)
        base = phones.socket_address(config, parts.scheme, parts.netloc, game["id"]) or base
    return f"{base}{url_for('games.play_page', code=game['code'])}"


def _joined(result: dict) -> dict:
    """The join answer; ``sock``: where the phone opens its socket (``festival serve --workers``)."""
    player, game = result["player"], result["game"]
    answer = {"ok": True, "token": result["token"],
              "player": {"id": player["id"], "no": player["num"], "nick": player["nickname"]},
              "game": {"id": game["id"], "title": game["title"], "code": game["code"]}}
    sock = phones.socket_address(current_app.config, request.scheme, request.host, player["id"])
    if sock:
        answer["sock"] = sock
    return answer


@bp.before_app_request
def _start_clock():
    ensure_clock(current_app._get_current_object())


# ---------------------------------------------------------------------- host

@bp.route("/host")
@role_required("host")
def host_page():
    """The host's console: create a game, then run it."""
    db = get_db()
    games = db.execute("SELECT id, code, title, state, question_count FROM games WHERE state != 'ended' "
                       "ORDER BY id DESC LIMIT 20").fetchall()
    return render_template("games/host.html", banks=questions.list_banks(db), games=games,
                           modes=scoring.MODES, default_limit=live.DEFAULT_TIME_LIMIT)


@bp.route("/host/api/games", methods=["POST"])
@role_required("host")
def create_game():
    """``{"bank", "count", "mode", "streak", "time_limit"?}`` → ``{"ok", "game"}`` (201)."""
    data = json_body()
    bank, streak, limit = data.get("bank"), data.get("streak", False), data.get("time_limit")
    if not isinstance(bank, str) or not isinstance(streak, bool):
        raise ServiceError("bad_request", "The request could not be understood.")
    game = live.create_game(get_db(), bank=bank, count=data.get("count"), mode=data.get("mode", "speed"),
                            streak=streak, host=current_principal().actor, now=clock(),
                            time_limit=limit)
    answer = {"ok": True, "game": _game_json(game), "cap": player_cap()}
    notice = _capacity_notice(answer["cap"])
    if notice:
        answer["notice"] = notice
    return jsonify(answer), 201


def _capacity_notice(cap: int) -> dict | None:
    """{vi, en} for the host when this process cannot take a full game now (other games'
    phones hold its sockets, kiosk/admission.py); None when it can, or when the phones'
    sockets are on phone processes (``--workers``), each of which holds a whole game."""
    admission = getattr(socketio.server, "festival_admission", None)
    if admission is None or phones.phone_ports(current_app.config):
        return None
    free = admission.max_open - admission.total
    if free >= cap:
        return None
    return both("Only %(free)s more phones can connect now (%(open)s connections are open); a game takes up "
                "to %(cap)s players. End the other games first, or raise FESTIVAL_GAME_MAX_PLAYERS and restart.",
                free=max(free, 0), open=admission.total, cap=cap)


def _game_json(game: dict) -> dict:
    return {"id": game["id"], "code": game["code"], "title": game["title"], "mode": game["mode"],
            "streak": bool(game["streak_bonus"]), "state": game["state"], "n": game["question_count"],
            "screen_url": url_for("games.screen_page", game_id=game["id"]), "join_url": _join_url(game)}


@bp.route("/host/api/games/<id:game_id>/players")
@role_required("host")
def players(game_id: int):
    """Every player of the game for the host (names, hidden/removed flags, score)."""
    db = get_db()
    game = live.get_game(db, game_id)
    rows = db.execute("SELECT p.id, p.num, p.nickname, p.hidden, p.removed, p.score, p.attendee_id, "
                      "a.nickname AS badge_nickname, a.consent_public, a.nickname_hidden FROM players p "
                      "LEFT JOIN attendees a ON a.id = p.attendee_id WHERE p.game_id = ? ORDER BY p.num",
                      [game_id]).fetchall()
    return jsonify({"ok": True, "game": _game_json(game), "players": [
        {"id": r["id"], "no": r["num"], "nick": r["nickname"], "public": scoring.public_name(r),
         "hidden": bool(r["hidden"]), "removed": bool(r["removed"]), "badge": r["attendee_id"] is not None,
         "sc": r["score"]} for r in rows]})


@bp.route("/host/screen/<id:game_id>")
@role_required("stage", "host")
def screen_page(game_id: int):
    """The big screen of one game: join code and QR, questions, spread, top 5, podium."""
    game = live.get_game(get_db(), game_id)
    return render_template("games/screen.html", game=game, join_url=_join_url(game))


# -------------------------------------------------------------------- players

@bp.route("/play")
def play_page():
    """The player page: enter the code (or arrive with ``?code=``), then play."""
    code = request.args.get("code", "")[:12]
    # The same for every phone with this language and link: rendered once (a crowd opens it at once).
    return render_shared("games/play.html", code=code if code.isdigit() else "", badge=None)


@bp.route("/play/join", methods=["POST"])
@csrf_exempt  # no ambient credential is used: joining only creates a player and returns its token
def join():
    """``{"code", "nickname"?, "lang"?}`` → ``{"ok", "token", "player", "game"}`` (201)."""
    rate_limit("game_join", current_app.config["GAME_JOIN_RATE_LIMIT"])
    data = json_body()
    nickname, lang = data.get("nickname"), data.get("lang", "vi")
    if nickname is not None and not isinstance(nickname, str):
        raise ServiceError("bad_nickname", "Please choose a nickname.")
    # The pooled game connection (games.live.db): a crowd joins at once, and opening a
    # connection per request was a third of a join's CPU (issue 17).
    result = live.join_by_code(live_db.play_db(), data.get("code"), clock(), nickname=nickname or None,
                               lang="en" if lang == "en" else "vi", cap=player_cap())
    return jsonify(_joined(result)), 201


def _badge_attendee(token: str) -> dict:
    """The attendee holding live badge ``token`` (as printed or scanned), through
    the one badge lookup (kiosk.badgecheck). Raises NotFound."""
    found = lookup_badge(get_db(), token[:80])
    if found.status != "ok":
        raise NotFound("unknown_badge", "This badge is not valid.")
    return found.attendee


@bp.route("/b/<token>/play")
def badge_play_page(token: str):
    """A badge holder's way into a live game: enter the code, play under their nickname."""
    # The same limit as the badge page (/b/<token>): this page also tells whether a token exists.
    rate_limit("badge_page", current_app.config["BADGE_PAGE_RATE_LIMIT"])
    attendee = _badge_attendee(token)
    code = request.args.get("code", "")[:12]
    return render_template("games/play.html", code=code if code.isdigit() else "",
                           badge={"token": token, "nickname": attendee["nickname"]})


@bp.route("/b/<token>/play/join", methods=["POST"])
@csrf_exempt  # the badge token in the path is the credential, not a cookie
def badge_join(token: str):
    """``{"code"}`` → join (or rejoin, score kept) with the badge's attendee."""
    rate_limit("game_join", current_app.config["GAME_JOIN_RATE_LIMIT"])
    attendee = _badge_attendee(token)
    result = live.join_with_badge(get_db(), json_body().get("code"), attendee["id"], clock(), cap=player_cap())
    return jsonify(_joined(result)), 201


# -------------------------------------------------------------------- results

@bp.route("/host/games")
@role_required("host")
def history_page():
    """Every game played (newest first) with links to its results."""
    return render_template("games/history.html", games=results.past_games(get_db()))


@bp.route("/host/games/<id:game_id>/results")
@role_required("host")
def results_page(game_id: int):
    """One game's results for the host: podium, per-question spread and accuracy, players."""
    return render_template("games/results.html", r=results.game_results(get_db(), game_id))


@bp.route("/host/api/games/<id:game_id>/results")
@role_required("host")
def results_json(game_id: int):
    """The same results as JSON."""
    return jsonify({"ok": True, **results.game_results(get_db(), game_id)})


def init_app(app) -> None:
    """Register the blueprint, the socket namespaces and the live-game exports."""
    app.register_blueprint(bp)
    results.init_app(app)
    sockets.init_app(app)
