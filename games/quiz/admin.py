"""The organiser's question page: banks with their counts, and file import."""
from __future__ import annotations

from flask import render_template, request

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from kiosk.errors import ServiceError

from games.quiz.bank import MAX_FILE_BYTES, BankError, Problem
from games.quiz.questions import import_bank, list_banks
from games.quiz.views import bp


@bp.route("/admin/questions", methods=["GET", "POST"])
@role_required("admin")
def admin_questions():
    """GET lists the banks; POST imports one uploaded JSON bank file (all or nothing)."""
    db = get_db()
    problems: list[Problem] = []
    error = summary = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error, status = ServiceError("no_file", "Choose a question file to upload."), 400
        else:
            raw = upload.stream.read(MAX_FILE_BYTES + 1)
            try:
                summary = import_bank(db, raw, upload.filename[:200], current_principal().actor)
            except BankError as exc:
                problems, status = exc.problems, 400
            except ServiceError as exc:
                error, status = exc, exc.status
    return render_template("quiz/admin.html", banks=list_banks(db), problems=problems,
                           error=error, summary=summary), status
