"""Ranked desk search over the folded-word index (issue 14)."""
import pytest

from bench.search import NAMED, QUERIES, build, check
from checkin.importer import import_csv
from checkin.search import search
from checkin.search_words import index_rows, pair_rows
from kiosk.db import migrate, open_db
from kiosk.ops.purge import withdraw_attendee

FESTIVAL_SIZE = 20_000  # python -m bench --only search runs the same queries at 100,000


@pytest.fixture(scope="module")
def festival(tmp_path_factory):
    """A generated festival with the issue's named people among 20,000 others (built once)."""
    db = open_db(str(tmp_path_factory.mktemp("search") / "festival.db"), "NORMAL")
    migrate(db)
    build(db, FESTIVAL_SIZE)
    yield db
    db.conn.close()


def names(rows):
    return [r["full_name"] for r in rows]


@pytest.mark.slow
def test_named_people_come_first_in_a_big_festival(festival):
    assert festival.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == FESTIVAL_SIZE
    assert check(festival) == {}
    assert len(QUERIES) >= 10
    # backups refuse a file that fails quick_check: the index must pass it
    assert [tuple(r) for r in festival.execute("PRAGMA quick_check")] == [("ok",)]


def test_exact_spelling_with_accents_comes_before_the_folded_match(festival):
    assert names(search(festival, "Đoàn"))[0] == "Đoàn Minh Quân"
    assert names(search(festival, "Doãn Minh Quân"))[:2] == ["Doãn Minh Quân", "Đoàn Minh Quân"]
    assert names(search(festival, "ĐOÀN MINH QUÂN"))[:2] == ["Đoàn Minh Quân", "Doãn Minh Quân"]
    assert names(search(festival, "Ộc"))[:2] == ["Lê Đức Ộc", "Lê Đức Óc"]
    assert names(search(festival, "Óc"))[:2] == ["Lê Đức Óc", "Lê Đức Ộc"]


@pytest.mark.parametrize("query", ["nguyen-van an", "Nguyễn.Văn.An", "  nguyen   van   an  ", "nguyen_van-an",
                                   "NGUYỄN VĂN AN"])
def test_hyphens_dots_and_spaces_are_word_breaks(festival, query):
    assert names(search(festival, query))[0] == "Nguyễn Văn An"


def test_whole_word_before_prefix_and_given_name_before_middle(festival):
    first = search(festival, "quan")[0]["full_name"]
    assert first.split()[-1] in ("Quân", "Quan")  # not Quang, not a middle name
    page = names(search(festival, "minh", limit=20))
    assert all(n.split()[-1] == "Minh" for n in page)  # given name Minh before middle name Minh


def test_paging_goes_beyond_the_first_twenty_without_repeats(festival):
    pages = [search(festival, "nguyen van", limit=20, offset=o) for o in (0, 20, 40)]
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert all(r["full_name"].startswith("Nguyễn") for page in pages for r in page)
    everything = search(festival, "doan", limit=100)
    assert search(festival, "doan", offset=len(everything)) == []


def test_namesakes_are_counted_so_the_desk_can_tell_them_apart(festival):
    results = search(festival, "nguyen van an", limit=5)
    assert results[0]["namesakes"] >= 1  # generated festivals have many Nguyễn Văn An
    assert {"school", "class_name", "age_band", "nickname"} <= set(results[0])
    assert search(festival, "Phan Ngọc Quỳnh")[0]["namesakes"] == 0


# --- ranking rules on a small festival ------------------------------------------

def test_words_in_order_before_out_of_order(db, make_attendee):
    out_of_order, _ = make_attendee("Châu Minh Hoàng")
    in_order, _ = make_attendee("Hoàng Minh Châu")
    assert [r["id"] for r in search(db, "hoang chau")] == [in_order, out_of_order]
    assert [r["id"] for r in search(db, "chau hoang")] == [out_of_order, in_order]


def test_family_and_given_name_before_middle_name(db, make_attendee):
    middle, _ = make_attendee("Trần Thanh Bình")
    given, _ = make_attendee("Lê Văn Thanh")
    family, _ = make_attendee("Thanh Thị Hà")
    assert [r["id"] for r in search(db, "thanh")][-1] == middle
    assert set(r["id"] for r in search(db, "thanh")[:2]) == {given, family}


def test_school_and_class_words_narrow_the_search(db, make_attendee):
    nine_a, _ = make_attendee("Nguyễn Văn An", school="THCS Chu Văn An", class_name="9A")
    make_attendee("Nguyễn Văn An", school="THCS Giảng Võ", class_name="9B")
    quan, _ = make_attendee("Lê Minh Quân", school="THCS Chu Văn An", class_name="8C")
    assert [r["id"] for r in search(db, "an 9a")] == [nine_a]
    assert [r["id"] for r in search(db, "quan chu van an")] == [quan]
    assert [r["id"] for r in search(db, "an 9a")][0] == nine_a


def test_the_index_follows_updates_withdrawals_and_purges(db, make_attendee):
    who, _ = make_attendee("Đinh Công Tráng", class_name="7A")
    assert [r["id"] for r in search(db, "trang 7a")] == [who]
    db.execute("UPDATE attendees SET class_name = '7B' WHERE id = ?", [who])
    assert search(db, "trang 7a") == [] and [r["id"] for r in search(db, "trang 7b")] == [who]
    withdraw_attendee(db, who, "test")
    assert search(db, "trang") == []
    assert db.execute("SELECT COUNT(*) FROM attendee_words WHERE attendee_id = ?", [who]).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM attendee_pairs WHERE attendee_id = ?", [who]).fetchone()[0] == 0


def test_python_index_rows_match_the_trigger(db, make_attendee):
    for full, school, cls in NAMED + [('Nguyễn-Văn "Bé" A.B', "Trường (Số 1)", "10 A/2")]:
        attendee_id, _ = make_attendee(full, school=school, class_name=cls)
        stored = sorted(tuple(r) for r in db.execute(
            "SELECT word, attendee_id, pos, role, exact FROM attendee_words WHERE attendee_id = ?", [attendee_id]))
        assert stored == sorted(index_rows(attendee_id, full, school, cls)), full
        pairs = sorted(tuple(r) for r in db.execute(
            "SELECT pair, attendee_id FROM attendee_pairs WHERE attendee_id = ?", [attendee_id]))
        assert pairs == sorted(pair_rows(attendee_id, full)), full


# --- the desk API ---------------------------------------------------------------------

def test_api_pages_and_shows_what_tells_namesakes_apart(device_client, make_attendee):
    for i in range(25):
        make_attendee("Nguyễn Văn An", school=f"THCS Số {i}", class_name="6A")
    desk = device_client("desk")
    first = desk.get("/api/attendees/search?q=nguyen van an").get_json()
    assert first["ok"] and len(first["results"]) == 20 and first["more"] and first["next_offset"] == 20
    assert first["results"][0]["namesakes"] == 24 and first["results"][0]["school"].startswith("THCS Số")
    second = desk.get("/api/attendees/search?q=nguyen van an&offset=20").get_json()
    assert len(second["results"]) == 5 and not second["more"] and second["next_offset"] is None
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    for bad in ("offset=-5", "offset=abc", "limit=100000", "limit=-1", "offset=99999999999999999999"):
        assert desk.get(f"/api/attendees/search?q=nguyen&{bad}").status_code == 200, bad


def test_a_prefix_level_reads_by_role_not_through_every_middle_name(festival):
    """"th": family and given names first, without walking the "thanh"/"thi"
    middle names on the way (the role index of migration m13)."""
    statements = []
    festival.conn.set_trace_callback(statements.append)
    try:
        found = search(festival, "th")
    finally:
        festival.conn.set_trace_callback(None)
    assert len(found) == 20
    prefix_levels = [s for s in statements if "FROM attendee_words" in s and "word >" in s and "DISTINCT" in s]
    assert prefix_levels
    for sql in prefix_levels:
        plan = " ".join(r[3] for r in festival.execute("EXPLAIN QUERY PLAN " + sql))
        assert "attendee_words_role" in plan, plan


def test_the_hub_keeps_statistics_for_the_planner(app, db):
    """Start-up and a class-list import sample the indexes (ANALYZE with a limit)."""
    import_csv(db, "Họ và tên,Trường,Lớp,Tuổi\nNguyễn Văn An,THCS Kim Liên,9A,13\nTrần Thị Bình,THCS Kim Liên,9A,13\n")
    tables = {r[0] for r in db.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
    assert {"attendees", "attendee_words"} <= tables
