"""CSV import and export of facilities: the service, the CLI commands and the upload page."""
from __future__ import annotations

import html
import io
from datetime import date, time

import pytest

from booking.accounts.models import Role
from booking.audit.models import AuditEvent
from booking.errors import Message, RuleViolation
from booking.extensions import db
from booking.facilities import importing, services
from booking.facilities.models import ApprovalPolicy, Facility, FacilityStatus
from booking.unit_of_work import unit_of_work
from tests.facilities.helpers import count_queries

pytestmark = pytest.mark.usefixtures("english")

HEADER = ("name,department,category,status,capacity,amenities,accessibility,opening_hours,hours_valid_from,"
          "slot_minutes,min_duration_minutes,max_duration_minutes,allow_multi_day,approval_policy,"
          "manual_actor_types,manual_above_minutes,latitude,longitude,area_m2,description\n")
GOOD = HEADER + (
    'Riverside Hall,Culture and Leisure,venue,published,80,Projector:2;Chairs:80,step_free_access;induction_loop,'
    '"Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00",2025-01-01,30,60,480,no,manual,,,62.24,25.75,120.5,'
    '"A hall by the river,\nwith a view."\n'
    'Harbour Testbed,Urban Environment,public_space,draft,0,,,Mon-Sun 00:00-24:00,,1440,1440,86400,yes,conditional,'
    'large_company,480,,,,\n'
)


@pytest.fixture
def departments(create_department):
    return create_department("Culture and Leisure"), create_department("Urban Environment")


def facilities() -> list[Facility]:
    return list(db.session.scalars(db.select(Facility).order_by(Facility.name)))


def test_good_file_creates_everything(departments):
    report = importing.import_facilities(GOOD.encode())
    db.session.commit()
    assert report.ok and report.created == ["Riverside Hall", "Harbour Testbed"]
    harbour, hall = facilities()
    assert hall.slug == "riverside-hall" and hall.status == FacilityStatus.published
    assert hall.description == "A hall by the river,\nwith a view."
    assert {a.name: a.quantity for a in hall.amenities} == {"Projector": 2, "Chairs": 80}
    assert sorted(a.feature for a in hall.accessibility) == ["induction_loop", "step_free_access"]
    assert [(h.valid_from, h.weekday, h.start_time, h.end_time) for h in hall.opening_hours if h.weekday == 0] == [
        (date(2025, 1, 1), 0, time(8), time(12)), (date(2025, 1, 1), 0, time(13), time(20))]
    assert hall.rules.approval_policy == ApprovalPolicy.manual
    assert float(hall.area_m2) == 120.5 and hall.latitude == 62.24
    assert harbour.status == FacilityStatus.draft
    assert harbour.rules.allow_multi_day and harbour.rules.max_duration_minutes == 86400
    assert harbour.rules.manual_actor_types == ["large_company"] and harbour.rules.manual_above_minutes == 480
    # Every change is on record, under the facility's department.
    created = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "facility.created")).all()
    assert {e.department_id for e in created} == {d.id for d in departments}


def test_a_bad_row_imports_nothing_and_reports_each_bad_line(departments):
    text = GOOD + (
        "Bad Lab,Nowhere,lab,published,-3,,,,,,,,,,,,,,,\n"
        'Ghost,Culture and Leisure,castle,opened,many,Projector:x,,"Mon 25:00-26:00",2025-13-01,15,,,maybe,,,,,,,\n'
        "Riverside Hall,Culture and Leisure,venue,,,,,,,,,,,,,,,,,\n"
        "Dark Room,Culture and Leisure,lab,published,10,,,,,,,,,,,,,,,\n"
    )
    report = importing.import_facilities(text)
    db.session.commit()
    assert not report.ok
    assert facilities() == []
    lines = {e.line: e for e in report.errors}
    # The first data row spans lines 2-3 (a line break inside quotes), so the bad rows start at 5.
    assert sorted(lines) == [5, 6, 7, 8]
    assert lines[5].reasons == ["department: there is no department called 'Nowhere'."]
    assert lines[6].reasons == [
        "capacity: 'many' is not a number.",
        "amenities: 'Projector:x': the quantity after ':' must be a whole number.",
        "status: 'opened' is not draft, published or archived.",
        "opening_hours: '25:00' is not a time of day.",
        "hours_valid_from: '2025-13-01' is not a date like 2025-01-31.",
        "allow_multi_day: write yes or no."]
    assert lines[7].reasons == ["This facility is also on line 2."]
    assert lines[8].reasons == ["opening_hours: a published facility needs opening hours."]
    assert report.summary() == "4 rows have problems; nothing was imported."


def test_rule_and_detail_problems_are_reported_with_their_column(departments):
    text = HEADER + "Odd Hall,Culture and Leisure,castle,,10,,teleporter,,,7,0,,no,conditional,,,95,,,\n"
    report = importing.import_facilities(text)
    [error] = report.errors
    assert error.line == 2 and error.name == "Odd Hall"
    assert error.reasons == [
        "category: Choose one of the categories: public_space, lab, recreational, venue, meeting_room, workshop, "
        "sports, outdoor_area.",
        "longitude: Give both the latitude and the longitude, or neither.",
        "latitude: The latitude is between -90 and 90.",
        "accessibility: Unknown accessibility features: teleporter. Known: step_free_access, accessible_toilet, "
        "induction_loop, accessible_parking, lift, braille_signage, quiet_room.",
        "slot_minutes: The slot grid must divide a day evenly (e.g. 15, 30 or 60 minutes).",
        "min_duration_minutes: The minimum duration is at least 1 minute.",
        "approval_policy: Conditional approval needs actor types or a duration above which a manager decides."]


def test_header_problems(departments):
    report = importing.import_facilities("name,department,colour\nX,Culture and Leisure,red\n")
    [error] = report.errors
    assert error.line == 1
    assert error.reasons[0] == "Required columns are missing: category."
    assert error.reasons[1].startswith("Unknown columns: colour. Known columns: name, slug, department")
    report = importing.import_facilities(b"\xff\xfe not utf-8")
    assert report.errors[0].reasons == ["The file is not UTF-8 text. Save it as 'CSV UTF-8'."]


def test_semicolon_separated_file_with_bom(departments):
    text = '\ufeffname;department;category;capacity;amenities\nLibrary Room;Culture and Leisure;meeting_room;8;"Screen:1;Wi-Fi:1"\n'
    report = importing.import_facilities(text.encode("utf-8"))
    assert report.ok
    [room] = facilities()
    assert room.capacity == 8 and len(room.amenities) == 2


def test_existing_facilities_are_updated_by_slug_or_by_name_and_department(departments, create_facility):
    hall = create_facility("Riverside Hall", department=departments[0], slug="old-hall", capacity=10)
    report = importing.import_facilities(HEADER.split(",")[0] + ",department,category,capacity\n"
                                         "riverside hall,Culture and Leisure,venue,90\n")
    assert report.updated == ["riverside hall"]
    assert hall.capacity == 90 and hall.slug == "old-hall"
    report = importing.import_facilities("slug,name,department,category\nold-hall,River Hall,Culture and Leisure,venue\n")
    assert report.updated == ["River Hall"]
    assert hall.name == "River Hall"
    # A slug that belongs to nobody, on a row whose name matches a facility, is a mistake.
    report = importing.import_facilities("slug,name,department,category\nnew-slug,River Hall,Culture and Leisure,venue\n")
    assert report.errors[0].reasons == ["slug: 'new-slug' is not the slug of 'River Hall' (that is 'old-hall')."]


def test_check_only_writes_nothing(departments):
    report = importing.import_facilities(GOOD, check_only=True)
    assert report.ok and report.created == ["Riverside Hall", "Harbour Testbed"]
    assert report.summary() == "2 created, 0 updated, 0 unchanged (would be)."
    db.session.commit()
    assert facilities() == []


def test_importer_may_touch_only_departments_it_manages(departments):
    report = importing.import_facilities(GOOD, department_ids={departments[0].id})
    assert report.errors[0].line == 4
    assert report.errors[0].reasons == ["department: you do not manage the department 'Urban Environment'."]


def test_importer_cannot_take_over_another_departments_facility(departments, create_facility):
    harbour = create_facility("Harbour Shed", department=departments[1], slug="harbour-shed")
    report = importing.import_facilities("slug,name,department,category\nharbour-shed,Mine,Culture and Leisure,lab\n",
                                         department_ids={departments[0].id})
    assert report.errors[0].reasons == [
        "slug: 'harbour-shed' is a facility of Urban Environment, which you do not manage."]
    assert harbour.name == "Harbour Shed" and harbour.department_id == departments[1].id


def test_export_round_trip_changes_nothing(departments):
    assert importing.import_facilities(GOOD).ok
    db.session.commit()
    exported = io.StringIO()
    assert importing.export_facilities(exported) == 2
    events_before = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    report = importing.import_facilities(exported.getvalue())
    db.session.commit()
    assert report.ok and report.unchanged == ["Riverside Hall", "Harbour Testbed"] and not report.updated
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == events_before
    again = io.StringIO()
    importing.export_facilities(again)
    assert again.getvalue() == exported.getvalue()
    assert '"Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00",2025-01-01' in exported.getvalue()
    assert "Chairs:80;Projector:2" in exported.getvalue()


def test_a_formula_in_a_facility_stays_text_in_the_export_and_comes_back_unchanged(departments):
    """A name or description a spreadsheet would run ("=HYPERLINK(…)", "-" bullets) is exported
    with a leading apostrophe; importing the file back restores the text exactly."""
    risky = GOOD.replace("Riverside Hall", '"=HYPERLINK(""http://x.invalid"",""Riverside"")"')
    risky = risky.replace('"A hall by the river,\nwith a view."', '"- by the river"')
    assert importing.import_facilities(risky).ok
    db.session.commit()
    exported = io.StringIO()
    importing.export_facilities(exported)
    assert "'=HYPERLINK(" in exported.getvalue() and "'- by the river" in exported.getvalue()
    report = importing.import_facilities(exported.getvalue())
    db.session.commit()
    assert report.ok and not report.updated
    names = [f.name for f in facilities()]
    assert '=HYPERLINK("http://x.invalid","Riverside")' in names


def test_export_of_one_department(departments):
    importing.import_facilities(GOOD)
    out = io.StringIO()
    assert importing.export_facilities(out, department_ids={departments[1].id}) == 1
    assert "Harbour Testbed" in out.getvalue() and "Riverside Hall" not in out.getvalue()


# --- CLI -------------------------------------------------------------------------------

def test_cli_import_and_export(runner, departments, tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["import-facilities", str(path), "--check"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged (would be)." in result.output
    assert facilities() == []
    result = runner.invoke(args=["import-facilities", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged (were)." in result.output
    assert len(facilities()) == 2

    out = tmp_path / "out.csv"
    result = runner.invoke(args=["export-facilities", "--output", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("name,slug,department,category")
    result = runner.invoke(args=["export-facilities", "--department", "Urban Environment"])
    assert "Harbour Testbed" in result.output and "Riverside Hall" not in result.output
    result = runner.invoke(args=["export-facilities", "--department", "Atlantis"])
    assert result.exit_code == 2 and "no department called Atlantis" in result.output


def test_cli_import_reports_bad_lines_and_fails(runner, departments, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "Bad,Nowhere,lab,,,,,,,,,,,,,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["import-facilities", str(path)])
    assert result.exit_code == 1
    assert "line 2 (Bad): department: there is no department called 'Nowhere'." in result.output
    assert "1 rows have problems; nothing was imported." in result.output
    assert facilities() == []


# --- the upload page ---------------------------------------------------------------------

def upload(client, text, **data):
    return client.post("/manage/import", data={"file": (io.BytesIO(text.encode()), "facilities.csv"), **data},
                       content_type="multipart/form-data")


def test_upload_page_for_a_manager(client, auth, departments, create_user):
    manager = create_user(role=Role.facility_manager, departments=[departments[0]])
    auth.login(manager)
    page = client.get("/manage/import").get_data(as_text=True)
    assert "Import facilities from CSV" in page and "hours_valid_from" in page
    response = upload(client, GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "you do not manage the department &#39;Urban Environment&#39;" in page
    assert facilities() == []
    only_mine = "\n".join(GOOD.splitlines()[:3]) + "\n"
    response = upload(client, only_mine, check_only="y")
    assert "1 created, 0 updated, 0 unchanged (would be)." in response.get_data(as_text=True)
    assert facilities() == []
    response = upload(client, only_mine)
    assert response.status_code == 302
    assert [f.name for f in facilities()] == ["Riverside Hall"]
    export = client.get("/manage/export.csv")
    assert export.mimetype == "text/csv" and "Riverside Hall" in export.get_data(as_text=True)


def test_upload_page_needs_a_file_and_a_manager(client, auth, departments, admin, member):
    auth.login(member)
    assert client.get("/manage/import").status_code == 403
    assert client.get("/manage/export.csv").status_code == 403
    auth.logout()
    auth.login(admin)
    response = client.post("/manage/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a CSV file." in response.get_data(as_text=True)
    assert upload(client, GOOD).status_code == 302  # an admin imports into any department
    assert len(facilities()) == 2


# --- caps: refused at once with a message, never a time-out or a 500 ------------------------

SHORT_HEADER = "name,department,category,description\n"


def test_a_huge_cell_is_refused_by_its_line(departments):
    report = importing.import_facilities(SHORT_HEADER + f"Hall,Culture and Leisure,venue,{'x' * 200_000}\n")
    assert [(e.line, e.reasons) for e in report.errors] == [
        (2, ["This line cannot be read: a cell is longer than 10000 characters."])]
    report = importing.import_facilities(SHORT_HEADER + "Fine Hall,Culture and Leisure,venue,fine\n"
                                         f"Long Hall,Culture and Leisure,venue,{'x' * 10_001}\n")
    assert [(e.line, e.name, e.reasons) for e in report.errors] == [
        (3, "Long Hall", ["description: the cell is longer than 10000 characters."])]
    assert facilities() == []


def test_too_many_rows_are_refused_before_any_row_is_checked(departments):
    rows = "".join(f"Room {n},Culture and Leisure,meeting_room,\n" for n in range(100_000))
    with count_queries() as queries:
        report = importing.import_facilities(SHORT_HEADER + rows)
    assert report.errors[0].reasons == ["The file has more than 5000 rows; split it into smaller files."]
    assert queries.count == 0  # not one row was looked at


def test_a_file_past_the_size_cap_is_refused(departments):
    report = importing.import_facilities(b"x" * (importing.MAX_CSV_BYTES + 1))
    assert report.errors[0].reasons == ["The file is larger than 5 MB; split it into smaller files."]


def test_text_with_a_nul_character_is_refused(departments):
    report = importing.import_facilities(SHORT_HEADER + "Hall\x00,Culture and Leisure,venue,A \x00 B\n")
    assert report.errors[0].reasons == ["name: the cell contains a NUL character; remove it.",
                                        "description: the cell contains a NUL character; remove it."]
    assert facilities() == []


def test_old_mac_line_breaks_are_line_breaks(departments):
    report = importing.import_facilities(SHORT_HEADER.replace("\n", "\r") + "Hall,Culture and Leisure,venue,\"a\rb\"\r")
    assert report.ok and facilities()[0].description == "a\nb"


def test_the_upload_page_refuses_huge_and_broken_files_with_a_message(client, auth, admin, departments):
    auth.login(admin)
    for text, message in (
            (SHORT_HEADER + f"Hall,Culture and Leisure,venue,{'x' * 200_000}\n",
             "This line cannot be read: a cell is longer than 10000 characters."),
            (SHORT_HEADER + "Hall,Culture and Leisure,venue,x\n" * 5001,
             "The file has more than 5000 rows; split it into smaller files."),
            (SHORT_HEADER + "Hall\x00,Culture and Leisure,venue,\n", "name: the cell contains a NUL character"),
            ("x" * (importing.MAX_CSV_BYTES + 1), "The file is larger than 5 MB")):
        response = upload(client, text)
        assert response.status_code == 422
        assert message in html.unescape(response.get_data(as_text=True))
    assert facilities() == []


# --- one unit of work: checking only reads, writing is all or nothing -------------------------

def test_checking_only_sends_no_write_to_the_database(client, auth, admin, departments):
    auth.login(admin)
    with count_queries() as queries:
        response = upload(client, GOOD, check_only="y")
    assert "2 created, 0 updated, 0 unchanged (would be)." in response.get_data(as_text=True)
    assert [s for s in queries.statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")] == []


def test_an_import_is_written_with_the_callers_other_work_or_not_at_all(departments, create_facility, monkeypatch):
    """Services never commit or roll back: the boundary's unit of work decides for all it holds."""
    hall = create_facility("Old Hall", department=departments[0], capacity=10)
    real = services.update_rules

    def refuse_the_testbed(facility, **values):  # a refusal the checks did not foresee
        if facility.name == "Harbour Testbed":
            raise RuleViolation(field_errors={"slot_minutes": [Message("facilities.rules.slot")]})
        return real(facility, **values)

    monkeypatch.setattr(services, "update_rules", refuse_the_testbed)
    events = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    with pytest.raises(importing.ImportFailed) as failed:
        with unit_of_work():
            services.update_facility(hall, capacity=99)
            importing.import_facilities(GOOD)
    [error] = failed.value.report.errors
    assert (error.line, error.reasons) == (4, ["slot_minutes: The slot grid is a number of minutes, at least 1."])
    db.session.expire_all()
    assert [f.name for f in facilities()] == ["Old Hall"] and hall.capacity == 10
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == events


def test_the_upload_page_reports_a_refusal_met_while_writing(client, auth, admin, departments, monkeypatch):
    monkeypatch.setattr(services, "set_opening_hours", lambda *args, **kwargs: (_ for _ in ()).throw(
        RuleViolation(field_errors={"hours": [Message("facilities.hours.none")]})))
    auth.login(admin)
    response = upload(client, GOOD)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "hours: Give the hours of at least one day. For a long break, add a closure instead." in page
    assert facilities() == []
