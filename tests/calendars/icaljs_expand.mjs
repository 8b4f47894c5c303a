// Expands every event of an iCalendar file with Mozilla's ical.js (what Thunderbird uses) and
// prints them as JSON: uid, status, start and end in UTC, and the start's wall-clock time in the
// zone named by the first argument, converted with the file's own VTIMEZONE.
//     node icaljs_expand.mjs Europe/Helsinki < feed.ics
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const wallZone = process.argv[2];
const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const zone = ICAL.TimezoneService.get(wallZone);
if (!zone) throw new Error(`the file has no VTIMEZONE ${wallZone}`);

const out = [];
const add = (event, start, end) => out.push({
  uid: event.uid,
  status: event.component.getFirstPropertyValue("status"),
  sequence: event.sequence,
  start: start.toJSDate().toISOString(),
  end: end.toJSDate().toISOString(),
  wall: start.convertToZone(zone).toString(),
  summary: event.summary,
});
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  if (event.isRecurring()) {
    const iterator = event.iterator();
    for (let next = iterator.next(), n = 0; next && n < 10000; next = iterator.next(), n++) {
      const details = event.getOccurrenceDetails(next);
      add(event, details.startDate, details.endDate);
    }
  } else {
    add(event, event.startDate, event.endDate);
  }
}
process.stdout.write(JSON.stringify(out));
