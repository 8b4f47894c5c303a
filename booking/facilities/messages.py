"""The wording of the facilities domain's coded messages (services and importers give codes).

Imported by facilities/services.py, so the codes are registered whenever a service can raise them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.formatting import register

register({
    # Hours, weekdays and amenities written as text (forms and the CSV share them).
    "facilities.text.not_a_time": _l("'%(value)s' is not a time; write it as 08:00."),
    "facilities.text.not_a_time_of_day": _l("'%(value)s' is not a time of day."),
    "facilities.text.not_an_interval": _l("'%(value)s' is not an interval; write it as 08:00-16:00."),
    "facilities.text.not_a_weekday": _l("'%(value)s' is not a weekday or a range of weekdays like Mon-Fri."),
    "facilities.text.days_backwards": _l("'%(value)s' runs backwards; write Mon-Fri, not Fri-Mon."),
    "facilities.text.days_without_hours": _l("'%(value)s' names days but no hours."),
    "facilities.text.day_twice": _l("%(day)s is given twice."),
    "facilities.text.quantity_not_whole": _l("'%(value)s': the quantity after ':' must be a whole number."),
    "facilities.text.listed_twice": _l("'%(name)s' is listed twice."),

    # Details and status.
    "facilities.name_missing": _l("Give the facility a name."),
    "facilities.name_too_long": _l("The name is longer than %(n)d characters."),
    "facilities.too_long": _l("This is longer than %(n)d characters."),
    "facilities.department_missing": _l("Choose a department."),
    "facilities.name_taken": _l("This department already has a facility called '%(name)s'."),
    "facilities.category_unknown": _l("Choose one of the categories: %(list)s."),
    "facilities.capacity_invalid": _l("The capacity is a number of people, 0 or more."),
    "facilities.capacity_too_large": _l("The capacity is at most %(n)d people."),
    "facilities.area_negative": _l("The area cannot be negative."),
    "facilities.coordinates_half": _l("Give both the latitude and the longitude, or neither."),
    "facilities.latitude_range": _l("The latitude is between -90 and 90."),
    "facilities.longitude_range": _l("The longitude is between -180 and 180."),
    "facilities.timezone_unknown": _l("'%(value)s' is not a time zone; use a name like Europe/Helsinki."),
    "facilities.amenity_name": _l("An amenity needs a name of at most %(n)d characters."),
    "facilities.amenity_quantity": _l("'%(name)s': the quantity must be at least 1."),
    "facilities.amenity_group_unknown": _l("Choose one of the groups: %(list)s."),
    "facilities.accessibility_unknown": _l("Unknown accessibility features: %(list)s. Known: %(known)s."),
    "facilities.slug_invalid": _l("A slug uses lower-case letters, digits and single hyphens."),
    "facilities.slug_taken": _l("Another facility already uses the slug '%(slug)s'."),
    "facilities.publish_without_hours": _l("Add opening hours before publishing: without them nobody can book "
                                           "%(name)s."),

    # Opening hours, special openings, closures.
    "facilities.hours.overlap": _l("%(a)s and %(b)s overlap."),
    "facilities.hours.valid_from_missing": _l("Give the date from which these hours apply."),
    "facilities.hours.none": _l("Give the hours of at least one day. For a long break, add a closure instead."),
    "facilities.hours.last_version": _l("A published facility needs opening hours: add another version first, "
                                        "or return the facility to draft."),
    "facilities.special.date_missing": _l("Give the date."),
    "facilities.special.hours_missing": _l("Give the opening hours of that day, e.g. 10:00-14:00."),
    "facilities.special.reason_missing": _l("Say why the hours are different, e.g. 'Night of the Arts'."),
    "facilities.closure.start_missing": _l("Give the first day of the closure."),
    "facilities.closure.last_before_first": _l("The last day is before the first day."),
    "facilities.closure.times_half": _l("Give both times, or neither to close whole days."),
    "facilities.closure.reason_missing": _l("Say why the facility is closed, e.g. 'Floor maintenance'."),
    "facilities.closure.ends_before_start": _l("The closure must end after it starts."),
    "facilities.closure.closed": _l("Closed"),

    # Booking rules.
    "facilities.rules.slot": _l("The slot grid is a number of minutes, at least 1."),
    "facilities.rules.slot_divides_day": _l("The slot grid must divide a day evenly (e.g. 15, 30 or 60 minutes)."),
    "facilities.rules.min_duration": _l("The minimum duration is at least 1 minute."),
    "facilities.rules.min_whole_slots": _l("The minimum duration must be a whole number of slots "
                                           "(%(n)d minutes each)."),
    "facilities.rules.max_duration": _l("The maximum duration is at least 1 minute."),
    "facilities.rules.max_below_min": _l("The maximum duration is shorter than the minimum."),
    "facilities.rules.max_over_day": _l("Without multi-day bookings a booking lasts at most 24 hours "
                                        "(1440 minutes)."),
    "facilities.rules.notice": _l("The minimum notice is 0 minutes or more."),
    "facilities.rules.advance_min": _l("Bookings must be possible at least 1 day ahead."),
    "facilities.rules.advance_max": _l("At most %(n)d days ahead."),
    "facilities.rules.buffer_min": _l("A buffer is 0 minutes or more."),
    "facilities.rules.buffer_max": _l("A buffer is at most %(n)d minutes."),
    "facilities.rules.quota": _l("The quota is at least 1 reservation; leave it empty for none."),
    "facilities.rules.manual_above": _l("The duration is at least 1 minute; leave it empty for none."),
    "facilities.rules.cancellation_deadline": _l("The cancellation deadline is 0 hours or more."),
    "facilities.rules.actor_types_unknown": _l("Unknown actor types: %(list)s."),
    "facilities.rules.approval_policy": _l("Choose automatic, manual or conditional approval."),
    "facilities.rules.conditional_needs": _l("Conditional approval needs actor types or a duration above which a "
                                             "manager decides."),
    "facilities.rules.late_cancellation": _l("Choose whether a late cancellation is charged or refused."),

    # Terms and questions.
    "facilities.terms.missing": _l("Write the terms of use."),
    "facilities.question.label_missing": _l("Write the question."),
    "facilities.question.kind": _l("Choose text, choice or yes/no."),
    "facilities.question.too_few_choices": _l("A choice question needs at least two answers to choose from."),
    "facilities.question.choice_twice": _l("An answer is listed twice."),
    "facilities.question.choice_too_long": _l("An answer is longer than %(n)d characters."),
    "facilities.question.choices_count": _l("Translate every answer, one a line, in the order of the answers "
                                            "above."),

    # Photos.
    "facilities.photo.missing": _l("Choose a photo to upload."),
    "facilities.photo.too_large": _l("The photo is larger than %(limit).1f MB; make it smaller and try again."),
    "facilities.photo.not_an_image": _l("This file is not a JPEG, PNG, WebP or GIF image."),
    "facilities.photo.too_many_pixels": _l("The image has too many pixels; make it smaller than %(n)d megapixels."),
    "facilities.photo.alt_missing": _l("Describe the photo for people who cannot see it."),

    # The CSV importer: the whole file.
    "facilities.import.too_large": _l("The file is larger than %(megabytes)s MB; split it into smaller files."),
    "facilities.import.too_many_rows": _l("The file has more than %(n)d rows; split it into smaller files."),
    "facilities.import.not_utf8": _l("The file is not UTF-8 text. Save it as 'CSV UTF-8'."),
    "facilities.import.unreadable_line": _l("This line cannot be read: a cell is longer than %(n)d characters."),
    "facilities.import.columns_missing": _l("Required columns are missing: %(list)s."),
    "facilities.import.columns_unknown": _l("Unknown columns: %(list)s. Known columns: %(known)s."),
    "facilities.import.column_twice": _l("A column is named twice."),
    "facilities.import.rows_with_problems": _l("%(n)d rows have problems; nothing was imported."),
    "facilities.import.done": _l("%(created)d created, %(updated)d updated, %(unchanged)d unchanged (were)."),
    "facilities.import.checked": _l("%(created)d created, %(updated)d updated, %(unchanged)d unchanged "
                                    "(would be)."),
    # … and one row: "column: problem".
    "facilities.import.cell": _l("%(column)s: %(problem)s"),
    "facilities.import.cell_count": _l("The row has %(n)d cells but the header has %(m)d columns."),
    "facilities.import.cell_too_long": _l("the cell is longer than %(n)d characters."),
    "facilities.import.cell_nul": _l("the cell contains a NUL character; remove it."),
    "facilities.import.not_a_number": _l("'%(value)s' is not a number."),
    "facilities.import.no_department": _l("there is no department called '%(name)s'."),
    "facilities.import.not_your_department": _l("you do not manage the department '%(name)s'."),
    "facilities.import.status_unknown": _l("'%(value)s' is not draft, published or archived."),
    "facilities.import.not_a_date": _l("'%(value)s' is not a date like 2025-01-31."),
    "facilities.import.yes_or_no": _l("write yes or no."),
    "facilities.import.slug_invalid": _l("a slug uses lower-case letters, digits and single hyphens."),
    "facilities.import.slug_of_another": _l("'%(slug)s' is not the slug of '%(name)s' (that is '%(actual)s')."),
    "facilities.import.slug_elsewhere": _l("'%(slug)s' is a facility of %(department)s, which you do not manage."),
    "facilities.import.published_without_hours": _l("a published facility needs opening hours."),
    "facilities.import.also_on_line": _l("This facility is also on line %(line)d."),

    # What each CSV column means (the upload page lists them).
    "facilities.column.name": _l("The facility's name (unique within its department)."),
    "facilities.column.slug": _l("Its address in links, e.g. riverside-hall; made from the name when empty."),
    "facilities.column.department": _l("The department's exact name; you must manage it."),
    "facilities.column.category": _l("One of: public_space, lab, recreational, venue, meeting_room, workshop, "
                                     "sports, outdoor_area."),
    "facilities.column.status": _l("draft, published or archived; a new facility is a draft when empty."),
    "facilities.column.description": _l("Free text."),
    "facilities.column.address": _l("Street address."),
    "facilities.column.district": _l("District or neighbourhood."),
    "facilities.column.latitude": _l("Decimal degrees with a point, e.g. 62.2415."),
    "facilities.column.longitude": _l("Decimal degrees with a point, e.g. 25.7482."),
    "facilities.column.capacity": _l("People, a whole number."),
    "facilities.column.area_m2": _l("Square metres, e.g. 120.5."),
    "facilities.column.timezone": _l("IANA time zone; Europe/Helsinki when empty."),
    "facilities.column.translation": _l("%(field)s in the language %(language)s; empty: shown in the content language."),
    "facilities.column.accessibility_notes": _l("Free text about access: the entrance, distances, what to ask for."),
    "facilities.column.amenities": _l("Name:quantity pairs separated by ';', e.g. Projector:2;Wi-Fi:1."),
    "facilities.column.accessibility": _l("Feature codes separated by ';': step_free_access, accessible_toilet, "
                                          "induction_loop, accessible_parking, lift, braille_signage, quiet_room."),
    "facilities.column.house_rules": _l("Free text."),
    "facilities.column.opening_hours": _l("e.g. Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00."),
    "facilities.column.hours_valid_from": _l("YYYY-MM-DD from which the opening hours apply; today when empty."),
    "facilities.column.slot_minutes": _l("Slot grid in minutes (default 30)."),
    "facilities.column.min_duration_minutes": _l("Minimum duration in minutes (default 60)."),
    "facilities.column.max_duration_minutes": _l("Maximum duration in minutes; empty for none."),
    "facilities.column.min_notice_minutes": _l("Minimum notice in minutes (default 1440)."),
    "facilities.column.max_advance_days": _l("How many days ahead bookings open (default 180)."),
    "facilities.column.buffer_before_minutes": _l("Minutes kept free before each booking."),
    "facilities.column.buffer_after_minutes": _l("Minutes kept free after each booking."),
    "facilities.column.allow_multi_day": _l("yes or no: bookings over several days."),
    "facilities.column.max_active_per_organisation": _l("Active reservations per organisation at most; empty for "
                                                        "none."),
    "facilities.column.approval_policy": _l("automatic, manual or conditional."),
    "facilities.column.manual_actor_types": _l("With conditional approval: actor types a manager decides for, "
                                               "separated by ';'."),
    "facilities.column.manual_above_minutes": _l("With conditional approval: a manager decides bookings longer "
                                                 "than this."),
    "facilities.column.cancellation_deadline_hours": _l("Free cancellation until this many hours before the start."),
    "facilities.column.late_cancellation": _l("refuse or fee: what happens after the deadline."),

    # Closures from an iCalendar file or URL: the whole calendar.
    "facilities.calendar.scheme": _l("The address must start with http:// or https://."),
    "facilities.calendar.status": _l("The calendar server answered %(status)d %(reason)s."),
    "facilities.calendar.unreachable": _l("The calendar could not be fetched: %(reason)s."),
    "facilities.calendar.too_large": _l("The calendar is larger than %(n)d MB."),
    "facilities.calendar.not_ical": _l("This is not an iCalendar (.ics) file."),
    "facilities.calendar.too_many": _l("The calendar has more than %(n)d closures in the coming year; nothing was "
                                       "imported."),
    "facilities.calendar.too_slow": _l("Reading the calendar took too long; nothing was imported."),
    "facilities.calendar.left_out": _l("Left out the event '%(summary)s' (%(uid)s): %(problem)s"),
    "facilities.calendar.more_left_out": _l("%(n)d more events were left out."),
    # A calendar kept in sync (a stored address), and closures that land on reservations.
    "facilities.calendar_sync.refreshed": _l("Refreshed: %(added)d closures added, %(updated)d updated, "
                                             "%(removed)d removed, %(unchanged)d unchanged."),
    "facilities.calendar_sync.left_out": _l("%(n)d events could not be read; the closures they made before are "
                                            "kept."),
    "facilities.calendar_sync.failed": _l("The refresh failed: %(problem)s No closure was changed."),
    "facilities.closure.lands_on": _l("Active reservations within the coming closures: %(n)d (listed on this "
                                      "page, to contact or cancel)."),
    # … and one event in it (the sentence above ends with one of these).
    "facilities.calendar.event.no_start": _l("it has no start (DTSTART)."),
    "facilities.calendar.event.bad_start": _l("its start (DTSTART) is not a date or time."),
    "facilities.calendar.event.bad_end": _l("its end (DTEND or DURATION) is not a date, time or duration."),
    "facilities.calendar.event.no_freq": _l("its repeat rule (RRULE) has no FREQ."),
    "facilities.calendar.event.bad_rule": _l("its repeat rule (RRULE) cannot be read."),
    "facilities.calendar.event.bad_dates": _l("its extra or left-out dates (RDATE, EXDATE) cannot be read."),
    "facilities.calendar.event.too_many": _l("it repeats more than %(n)d times in the coming year."),
    "facilities.calendar.event.too_slow": _l("working out when it repeats took too long."),
    "facilities.calendar.event.unreadable": _l("its dates cannot be read."),
})
