"""Badges: the attendee's phone page and printing labels and A4 sheets."""
import re

import pytest

from checkin.attendees import reissue_badge
from checkin.badges import badge_url
from kiosk.tokens import pretty


def test_phone_page_shows_nickname_qr_and_token_but_nothing_private(client, make_attendee):
    attendee_id, token = make_attendee("Nguyễn Văn An", nickname="Cáo Dũng Cảm 42",
                                       school="THCS Đoàn Kết", class_name="7B", age_band="7-15")
    response = client.get(f"/b/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Cáo Dũng Cảm 42" in page and pretty(token) in page and "<svg" in page
    assert "bàn check-in" in page  # collect a printed badge at the desk
    # The token and the QR's drawing are random letters and digits that may spell "7B" by chance.
    text = re.sub(r"<svg.*?</svg>", "", page, flags=re.S).replace(pretty(token), "").replace(token, "")
    for private in ("Nguyễn", "Văn An", "Đoàn Kết", "7B", "7–15"):
        assert private not in text
    assert response.headers["Cache-Control"] == "no-store"


def test_phone_page_accepts_pretty_and_lower_case_tokens(client, make_attendee):
    _id, token = make_attendee(nickname="Gấu Vui Vẻ 10")
    assert client.get(f"/b/{pretty(token).lower()}").status_code == 200


def test_replaced_badge_has_a_friendly_page(client, db, make_attendee):
    attendee_id, old = make_attendee()
    new = reissue_badge(db, attendee_id, "test")
    response = client.get(f"/b/{old}")
    assert response.status_code == 410 and "Thẻ này đã được thay thế" in response.get_data(as_text=True)
    assert client.get(f"/b/{new}").status_code == 200


@pytest.mark.parametrize("token", ["nonsense", "0" * 18, "A" * 500, "%00%ff", "ABCD-EFGH-JKMN-PQRS-TV"])
def test_unknown_or_invalid_badges_are_404_pages(client, token):
    response = client.get(f"/b/{token}")
    assert response.status_code == 404
    assert "Không tìm thấy thẻ" in response.get_data(as_text=True)


def test_badge_page_is_rate_limited_per_address(app, client, make_attendee):
    _id, token = make_attendee()
    app.config["BADGE_PAGE_RATE_LIMIT"] = 5
    codes = [client.get(f"/b/{token}").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429, 429]


def test_badge_url_uses_public_url_when_set(app):
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert badge_url("ABC") == "http://10.0.0.5:8000/b/ABC"
        app.config["PUBLIC_URL"] = "http://hub.local:8000/"
        assert badge_url("ABC") == "http://hub.local:8000/b/ABC"


def test_label_shows_nickname_given_name_and_class_never_age_or_school(device_client, make_attendee):
    attendee_id, token = make_attendee("Nguyễn Văn An", nickname="Cáo Dũng Cảm 42", age_band="7-15",
                                       school="THCS Đoàn Kết", class_name="7B")
    response = device_client("desk").get(f"/badges/{attendee_id}/label")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Cáo Dũng Cảm 42" in page and "An · 7B" in page and pretty(token) in page
    assert f'data-token="{token}"' in page and "print.css" in page
    for private in ("Nguyễn", "Đoàn Kết", "7–15"):
        assert private not in page


def test_sheet_pages_of_eight_for_a_class(admin_client, make_attendee):
    made = [make_attendee(f"Trần Văn Bạn {i}", class_name="9C", school="THCS A") for i in range(19)]
    make_attendee("Lê Thị Khác", class_name="9A", school="THCS A")
    response = admin_client.get("/badges/sheet?school=thcs a&class=9c")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="sheet"') == 3
    assert sorted(re.findall(r'data-token="([0-9A-Z*~$=]+)"', page)) == sorted(t for _i, t in made)
    assert "Khác" not in page


def test_sheet_filters_by_ids_search_and_check_in(admin_client, db, make_attendee):
    a, _ = make_attendee("Nguyễn Văn An")
    b, _ = make_attendee("Đoàn Thị Hà")
    db.execute("UPDATE attendees SET checked_in_at = '2026-01-01' WHERE id = ?", [b])
    db.conn.commit()

    def ids(query):
        page = admin_client.get("/badges/sheet?" + query).get_data(as_text=True)
        return sorted(int(x) for x in re.findall(r'data-attendee="(\d+)"', page))

    assert ids(f"attendee={a}&attendee={b}") == [a, b]
    assert ids("q=doan") == [b]
    assert ids("q=nguyen van an") == [a]
    assert ids("school=THCS Thử Nghiệm&checked_in=0") == [a]
    assert ids("school=THCS Thử Nghiệm&checked_in=1") == [b]


@pytest.mark.parametrize("query", ["", "attendee=abc", "checked_in=2", "attendee=1&attendee=x"])
def test_bad_sheet_filters_are_400_not_500(admin_client, query):
    assert admin_client.get("/badges/sheet?" + query).status_code == 400


def test_label_for_unknown_attendee_is_404(admin_client):
    assert admin_client.get("/badges/999999/label").status_code == 404


@pytest.mark.parametrize("url", ["/badges/1/label", "/badges/sheet?class=9A"])
def test_printing_needs_desk_or_admin(client, device_client, make_attendee, url):
    make_attendee()
    assert client.get(url).status_code == 401
    for role in ("zone", "stage", "host"):
        assert device_client(role).get(url).status_code == 403
    assert device_client("desk").get(url).status_code == 200


def test_print_css_fits_a4_and_labels_exactly():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/print.css").read_text()
    assert "size: A4" in css and "size: 62mm" in css
    assert "grid-template-columns: 105mm 105mm" in css and "repeat(4, 74.2mm)" in css


def test_admin_attendees_page_lists_and_links_sheets(admin_client, make_attendee):
    make_attendee("Nguyễn Văn An", school="THCS Đoàn Kết", class_name="7B")
    page = admin_client.get("/admin/attendees").get_data(as_text=True)
    assert "THCS Đoàn Kết" in page and "/badges/sheet?" in page and "Người tham gia" in page
    page = admin_client.get("/admin/attendees?q=nguyen").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and 'id="print-sheet"' in page
    assert admin_client.get("/admin/attendees?attendee=x").status_code == 400


def test_registration_poster_has_a_qr_of_the_registration_page(admin_client, app):
    app.config["PUBLIC_URL"] = "http://192.168.1.20:8000"
    page = admin_client.get("/admin/register-poster").get_data(as_text=True)
    assert 'data-url="http://192.168.1.20:8000/register"' in page and "<svg" in page
