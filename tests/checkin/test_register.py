"""Self-registration on a kiosk or the visitor's own phone."""
import pytest

from kiosk.badgecheck import lookup_badge
from tests.support.http import csrf, post_form

ADULT = {"full_name": "  Nguyễn Văn An ", "age_band": "18+", "nickname": "Cáo Dũng Cảm 42",
         "consent_child": "1", "consent_public": "1"}


def test_form_offers_a_generated_nickname_and_the_consents(client):
    page = client.get("/register").get_data(as_text=True)
    assert 'name="nickname"' in page and 'value=""' not in page.split('name="nickname"')[1][:80]
    for field in ("consent_child", "consent_public", "consent_guardian", "guardian_contact"):
        assert f'name="{field}"' in page
    assert 'src="/static/bundle/register.' in page and "<script>" not in page  # its bundle (kiosk/assets.py)


def test_adult_registers_and_lands_on_the_badge(client, db):
    response = post_form(client, "/register", ADULT)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/b/" in location and location.endswith("new=1")
    token = location.split("/b/")[1].split("?")[0]
    found = lookup_badge(db, token)
    assert found.status == "ok" and found.attendee["full_name"] == "Nguyễn Văn An"
    assert found.attendee["source"] == "self" and found.attendee["consent_public"] == 1
    assert found.attendee["consent_by"] == "self-registration"
    page = client.get(location).get_data(as_text=True)
    assert "Cáo Dũng Cảm 42" in page and "Muốn có thẻ in?" in page and "Nguyễn" not in page


def test_under_sixteen_needs_the_guardian(client, db):
    child = {**ADULT, "age_band": "7-15", "guardian_contact": "0901234567"}
    response = post_form(client, "/register", child)
    assert response.status_code == 400
    assert "cha mẹ hoặc người giám hộ" in response.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0
    response = post_form(client, "/register", {**child, "consent_guardian": "1"})
    assert response.status_code == 302
    row = db.execute("SELECT consent_guardian, guardian_contact FROM attendees").fetchone()
    assert row[0] == 1 and row[1] == "0901234567"


def test_child_from_seven_must_consent_too(client, db):
    response = post_form(client, "/register", {**ADULT, "age_band": "16-17", "consent_child": ""})
    assert response.status_code == 400
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_guardian_phone_is_dropped_without_guardian_consent(client, db):
    post_form(client, "/register", {**ADULT, "guardian_contact": "0901234567"})
    assert db.execute("SELECT guardian_contact FROM attendees").fetchone()[0] is None


@pytest.mark.parametrize("change, code_text", [
    ({"full_name": ""}, "Vui lòng nhập họ và tên"),
    ({"age_band": "42"}, "Vui lòng chọn nhóm tuổi"),
    ({"nickname": "đ.ị.t"}, "biệt danh thân thiện hơn"),
    ({"full_name": "x" * 5000}, "tối đa"),
    ({"school": "\x00\x01"}, None),
])
def test_bad_input_is_a_clear_400_and_keeps_what_was_typed(client, db, change, code_text):
    response = post_form(client, "/register", {**ADULT, **change})
    if code_text is None:  # control characters are cleaned away, not an error
        assert response.status_code == 302
        return
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert code_text in page
    if change.get("full_name", None) == "":
        assert "Cáo Dũng Cảm 42" in page  # the form keeps the nickname
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_registration_needs_csrf(client, db):
    assert client.post("/register", data=ADULT).status_code == 400
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_registration_is_rate_limited(app, client, db):
    app.config["REGISTER_RATE_LIMIT"] = 3
    codes = [post_form(client, "/register", {**ADULT, "full_name": f"Người Thứ {i}"}).status_code
             for i in range(5)]
    assert codes == [302, 302, 302, 429, 429]


def test_new_nickname_suggestion(client):
    csrf(client)
    body = client.get("/register/nickname").get_json()
    assert body["ok"] and 3 < len(body["nickname"]) <= 24
    client.get("/lang/en")
    english = client.get("/register/nickname").get_json()["nickname"]
    assert english.isascii()


def test_registration_is_announced_to_desks(app, client):
    from kiosk.signals import attendee_registered

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs["attendee_id"])

    attendee_registered.connect(receiver)
    try:
        post_form(client, "/register", ADULT)
    finally:
        attendee_registered.disconnect(receiver)
    assert len(seen) == 1 and isinstance(seen[0], int)
