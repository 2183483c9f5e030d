"""Desk search at scale (issue 14 follow-up): school and class words as filters,
word counts and the distinct schools and classes kept by triggers, and the
ranking checked against a plain recomputation of the scores."""
import random

from checkin.attendees import NewAttendee, create_attendee
from checkin.importer import import_csv
from checkin.search import (
    CLASS,
    ENDS,
    EXACT,
    FAMILY,
    GIVEN,
    IN_ORDER,
    NAME,
    OTHER,
    SCHOOL,
    WHOLE,
    parse,
    search,
)
from checkin.search_words import index_rows
from kiosk.ops.purge import purge_personal_data, withdraw_attendee


def vocab(db):
    return sorted(tuple(r) for r in db.execute("SELECT word, n FROM attendee_vocab"))


def vocab_from_words(db):
    return sorted(tuple(r) for r in db.execute(
        f"SELECT word, COUNT(*) FROM attendee_words WHERE role < {SCHOOL} GROUP BY 1"))


def places(db):
    return sorted(tuple(r) for r in db.execute("SELECT kind, value, n FROM attendee_places"))


def places_from_attendees(db):
    return sorted(tuple(r) for r in db.execute(
        "SELECT 'school', school_fold, COUNT(*) FROM attendees WHERE purged_at IS NULL AND school_fold IS NOT NULL "
        "GROUP BY 2 UNION ALL SELECT 'class', class_name, COUNT(*) FROM attendees "
        "WHERE purged_at IS NULL AND class_name IS NOT NULL GROUP BY 2"))


def assert_counts_in_step(db):
    assert vocab(db) == vocab_from_words(db)
    assert places(db) == places_from_attendees(db)


def test_word_counts_and_places_follow_every_writer(db, make_attendee):
    first, _ = make_attendee("Đinh Công Tráng", school="THCS Chu Văn An", class_name="7A")
    second, _ = make_attendee("Lê Văn Tám", school="THCS Chu Văn An", class_name="7B")
    make_attendee("Phạm Thị Hoa", school=None, class_name=None)
    assert_counts_in_step(db)
    assert ("class", "7A", 1) in places(db) and ("school", "thcs chu van an", 2) in places(db)
    db.execute("UPDATE attendees SET class_name = '8C', school = 'THPT Việt Đức', school_fold = 'thpt viet duc' "
               "WHERE id = ?", [first])
    assert_counts_in_step(db)
    assert ("class", "7A", 1) not in places(db)
    db.execute("UPDATE attendees SET full_name = 'Đinh Công Tráng Hai', name_fold = 'dinh cong trang hai' "
               "WHERE id = ?", [first])
    assert_counts_in_step(db)
    withdraw_attendee(db, second, "test")
    assert_counts_in_step(db)
    assert ("tam", 1) not in vocab(db) and ("class", "7B", 1) not in places(db)
    report = import_csv(db, "STT,Họ và tên,Trường,Lớp,Tuổi,Phụ huynh đồng ý,Học sinh đồng ý\n"
                            "1,Trần Văn Tám,THCS Kim Liên,9A,13,x,1\n2,Ngô Bảo Châu,THCS Kim Liên,9A,14,x,1\n", by="test")
    assert report.imported == 2
    assert_counts_in_step(db)
    assert ("class", "9A", 2) in places(db)
    purge_personal_data(db, "test")
    assert_counts_in_step(db)
    assert vocab(db) == [] and places(db) == []


def test_a_school_or_class_word_is_a_filter_not_a_name(db, make_attendee):
    nine_a, _ = make_attendee("Chu Thị Mai", school="THCS Kim Liên", class_name="9A1")
    other, _ = make_attendee("Lê Thị Mai", school="THCS Chu Văn An", class_name="9A2")
    make_attendee("Lê Thị Mai", school="THCS Giảng Võ", class_name="8B")
    # "chu" is a family name here: it is not a filter, both come (the name first)
    assert [r["id"] for r in search(db, "mai chu")] == [nine_a, other]
    # "9a" starts only class words; "giang" only a school word
    assert {r["id"] for r in search(db, "mai 9a")} == {nine_a, other}
    assert [r["id"] for r in search(db, "mai 9a chu van")] == [other]
    assert search(db, "mai 9a giang") == []
    assert search(db, "mai 7c") == [] and search(db, "mai zzz") == []


# --- the ranking against a plain recomputation ----------------------------------

FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Chu", "Đoàn", "Doãn", "An"]
MIDDLES = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "An", "Thu"]
GIVENS = ["An", "Anh", "Quân", "Quang", "Mai", "Chu", "Hà", "Ân", "Minh", "Ngọc"]
SCHOOLS = ["THCS Chu Văn An", "THCS Kim Liên", "THPT Việt Đức", "Tiểu học An Khánh", None]
CLASSES = ["9A", "9A1", "9B", "10A2", "6C", None]
QUERIES = ["an", "an 9a", "quan 9a", "an chu van an 9a", "quan chu van an", "chu", "chu an", "an chu",
           "minh 9", "ngoc kim", "Ân", "an an", "doan minh quan", "Đoàn", "nguyen van an", "thi 10a2 viet",
           "9a chu", "tieu hoc an", "van an 9b", "le thi ha 6c", "An Văn", "kim lien", "quang 9a1", "ha thu an"]


def reference(db, query, count):
    """The documented ranking, recomputed from the attendees' words in Python."""
    terms = parse(query)
    people = db.execute("SELECT id, full_name, school, class_name, name_sort FROM attendees "
                        "WHERE purged_at IS NULL").fetchall()
    ranked = []
    for person in people:
        rows = index_rows(person["id"], person["full_name"], person["school"], person["class_name"])
        best = []
        for word, variants in terms:
            scores = [((NAME if role < SCHOOL else OTHER) + (EXACT if exact in variants else 0)
                       + (WHOLE if indexed == word else 0) + (ENDS if role in (FAMILY, GIVEN) else 0), pos)
                      for indexed, _id, pos, role, exact in rows if indexed.startswith(word)]
            if not scores:
                break
            best.append(max(scores))
        else:
            total = sum(s for s, _ in best)
            if all(a[1] < b[1] for a, b in zip(best, best[1:])) and len(best) > 1:
                total += IN_ORDER
            ranked.append((-total, person["name_sort"], person["id"]))
    return [i for _s, _n, i in sorted(ranked)][:count]


def test_ranking_equals_the_recomputed_scores(db):
    """180 attendees whose names share words with schools ("Chu", "An"); 100 a
    page, so no candidate cap or shortcut applies at this size and the order
    must be exactly the documented one."""
    rng = random.Random(1414)
    for _ in range(180):
        name = f"{rng.choice(FAMILIES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"
        create_attendee(db, NewAttendee(full_name=name, age_band="7-15", school=rng.choice(SCHOOLS),
                                        class_name=rng.choice(CLASSES), consent_child=True, consent_guardian=True),
                        "walkin", "test", check_consents=False)
    assert CLASS > SCHOOL  # class words score as school words do
    wrong = [q for q in QUERIES if [r["id"] for r in search(db, q, limit=100)] != reference(db, q, 100)]
    assert wrong == []
    assert_counts_in_step(db)
