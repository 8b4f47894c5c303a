"""Demo pilot agreements: the agreement template, two open challenges and a closed one, and
pilots in every state — a draft, one awaiting review, one with changes requested, one
approved and awaiting signatures, a running one, a declined proposal, and two completed
pilots with accepted outcome reports in the public registry.

Everything goes through the agreement services with `now` set to when each step happened,
so every rule holds and the pilots' blocks are booked by the reservations domain. It runs
once (an audit event marks it) and queues no e-mails. A step the rules refuse is skipped.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from booking.accounts.models import Department, Organisation, User
from booking.agreements import services
from booking.agreements.models import Recommendation
from booking.content import content_language
from booking.agreements.services import AgreementInput, BlockInput, ChallengeInput
from booking.audit.models import AuditEvent
from booking.audit.services import record
from booking.database import utcnow
from booking.errors import DomainError
from booking.events import notifications_suppressed
from booking.extensions import db
from booking.facilities.availability import local_instant
from booking.facilities.models import Facility
from booking.unit_of_work import unit_of_work

MARKER = "agreement.demo_seeded"
ZONE = ZoneInfo("Europe/Helsinki")

TEMPLATE_NAME = "Infrashare pilot agreement"
TEMPLATE_BODY = """PILOT AGREEMENT — $title

Parties: the City of Kuusilahti ($department) and $lead_organisation (lead organisation); partners: $partners.
Answers: $challenge
Period: $start_date – $end_date

1. The pilot. $description
Success criteria (KPIs): $kpis

2. Facility time, booked for the pilot when every party has accepted this agreement:
$blocks
Price of the space for the lead organisation: $space_price.
Pilot fee paid by the city: $pilot_fee ($fee_at_signing at signing, $fee_on_report when the outcome report is accepted).

3. Liability and risk. $liability
4. Insurance. $insurer, policy $insurance_policy, coverage $insurance_coverage, valid until $insurance_expiry.
5. Intellectual property. $ip
6. Publicity. $publicity
7. Data. Collected: $data_collected. Legal basis: $data_legal_basis. Who may use it: $data_users.
8. Equipment and the site. The company owns, installs, maintains and removes its equipment. $removal
9. Results. Before the pilot ends the lead organisation files an outcome report (results against each KPI,
   what worked, what failed, lessons for the city); its results and lessons are published in the city's pilot
   registry without personal data.
10. Additions. $terms_addition

Template: $template
"""
CLAUSES = {
    "liability": {"company": "The company answers for its equipment, its activity and any damage they cause; "
                             "the city answers only for the site's ordinary upkeep.",
                  "shared": "Each party answers for its own part of the pilot, as set out in the additions."},
    "ip_rights": {"company": "All intellectual property created in the pilot stays with the company. The city "
                             "may use the results and lessons for its own purposes free of charge.",
                  "joint": "Results created together are owned jointly, as set out in the additions."},
    "publicity": {"open": "Both parties may say publicly, from the start, that they pilot together.",
                  "after_completion": "Publicity only after the pilot is completed.",
                  "by_consent": "Publicity only with both parties' written consent."},
}

# The template's name and the challenges' texts in Finnish and Swedish (booking.content), set where
# English is the content language. The template's body stays English only: the demo shows its
# missing translations marked, and the document the parties accept is rendered from the English.
TEMPLATE_TRANSLATIONS = {"fi": {"name": "Infrashare-pilottisopimus"}, "sv": {"name": "Infrashare-pilotavtal"}}
CHALLENGE_TRANSLATIONS = {
    "Cleaner air on Kävelykatu": {
        "fi": {"title": "Puhtaampaa ilmaa Kävelykadulle",
               "need": "Kävelykadun pienhiukkas- ja melutasoja ei tunneta tunti tunnilta. Haluamme katutason "
                       "mittauksia, jotka asukkaat näkevät.",
               "offer": "Kadun kiinnikkeet, sähkö ja valokuitu maksutta; avoin data; yhteydet kauppoihin."},
        "sv": {"title": "Renare luft på Kävelykatu",
               "need": "Halterna av partiklar och buller på gågatan är okända timme för timme. Vi vill ha "
                       "mätningar i gatunivå som invånarna kan se.",
               "offer": "Gatans fästen, el och fiber utan avgift; öppna data; kontakter till butikerna."}},
    "Smart harbour logistics": {
        "fi": {"title": "Älykäs satamalogistiikka",
               "need": "Jakeluliikenne tukkii laiturin aamuisin. Miten toimitukset voisi aikatauluttaa tai yhdistää?",
               "offer": "Laiturin testialue maksutta enintään kahdeksaksi viikoksi; sataman liikennedata."},
        "sv": {"title": "Smart hamnlogistik",
               "need": "Leveranser blockerar kajen på morgnarna. Hur kunde de schemaläggas eller samordnas?",
               "offer": "Kajens testområde utan avgift i upp till åtta veckor; hamnens trafikdata."}},
    # "Dark streets, bright ideas" is left in English: a closed call, with its translation missing.
}

SENSORS, ROBOTICS, UNIVERSITY, TELECOM = ("Nordic Sensors Oy", "Kide Robotics Oy",
                                          "Kuusilahti University of Applied Sciences", "Suomi Telecom Oyj")


def load(demo_dir: Path) -> str:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _load()


def _attempt(use_case, *args, **kwargs):
    try:
        with unit_of_work():
            return use_case(*args, **kwargs)
    except DomainError:
        return None


def _midnight(day: date) -> datetime:
    return local_instant(day, time(0), ZONE)


class _Seeder:
    def __init__(self):
        self.now = utcnow()
        self.today = self.now.astimezone(ZONE).date()
        self.made: dict[str, int] = {}

    def count(self, what: str) -> None:
        self.made[what] = self.made.get(what, 0) + 1

    @staticmethod
    def organisation(name: str) -> Organisation | None:
        return db.session.scalar(select(Organisation).where(Organisation.name == name))

    @staticmethod
    def member(organisation: Organisation | None) -> User | None:
        if organisation is None:
            return None
        return next((m.user for m in organisation.memberships if m.user.active), None)

    @staticmethod
    def facility(slug: str) -> Facility | None:
        return db.session.scalar(select(Facility).where(Facility.slug == slug))

    @staticmethod
    def manager(department: Department) -> User | None:
        return department.managers[0] if department.managers else None

    def challenge(self, department: Department, title: str, need: str, offer: str, slugs, deadline_days: int,
                  criteria, created_days_ago: int = 10, fee: int | None = None):
        manager = self.manager(department)
        created = self.now - timedelta(days=created_days_ago)
        deadline = _midnight(self.today + timedelta(days=deadline_days))
        data = ChallengeInput(
            title=title, need=need, offer=offer, facilities=[f for f in map(self.facility, slugs) if f],
            period_start_date=(deadline + timedelta(days=30)).astimezone(ZONE).date(),
            period_end_date=(deadline + timedelta(days=120)).astimezone(ZONE).date(), deadline_dt=deadline,
            criteria=criteria, pilot_fee_cents=fee, contact_email=department.contact_email or "",
            translations=CHALLENGE_TRANSLATIONS.get(title) if content_language() == "en" else None)
        found = _attempt(services.create_challenge, manager, department, data, now=created) if manager else None
        if found:
            self.count("challenges")
        return found

    def pilot(self, lead_name: str, partner_names, slug: str, title: str, description: str, first: date, weeks: int,
              *, state: str, challenge=None, reviewer: User | None = None, report: dict | None = None,
              consent: bool = False, fee: int = 0, decline_reason: str = ""):
        """A proposal made 30 days before `first`, moved to `state` through the services at the
        times each step would have happened."""
        lead_org = self.organisation(lead_name)
        lead, facility = self.member(lead_org), self.facility(slug)
        partners = [o for o in map(self.organisation, partner_names) if o]
        if lead is None or facility is None:
            return None
        last = first + timedelta(weeks=weeks)
        made_at = min(self.now, _midnight(first) - timedelta(days=30))
        if challenge is not None:
            made_at = min(made_at, challenge.deadline_dt - timedelta(days=3))
        data = AgreementInput(
            title=title, description=description, start_date=first, end_date=last,
            kpis="Uptime of the installation over 95 %; at least 200 users or readings a week; user feedback 4/5.",
            data_collected="Anonymous counts and environmental readings; no images of people.",
            data_legal_basis="No personal data (anonymous by design).", data_users="The company and the city (open data)",
            insurer="Lähivakuutus", insurance_policy=f"PL-{len(title) * 7919 % 100000:05d}",
            insurance_coverage_cents=1_000_000_00, insurance_expiry_date=last + timedelta(days=180),
            removal="Equipment removed and the site restored within 5 working days after the pilot.",
            pilot_fee_cents=fee, fee_at_signing_cents=fee // 2, registry_consent=consent, partners=partners,
            blocks=[BlockInput(facility, _midnight(first), _midnight(last))])
        agreement = _attempt(services.create_agreement, lead, lead_org, data, challenge=challenge, now=made_at)
        if agreement is None:
            return None
        department_manager = self.manager(agreement.host_department)
        steps = {"draft": 0, "submitted": 1, "changes_requested": 2, "declined": 2, "approved": 3, "active": 4,
                 "completed": 5}[state]
        at = made_at + timedelta(days=1)
        if steps >= 1:
            _attempt(services.transition, lead, agreement, "submit", now=at)
            if reviewer is not None and department_manager is not None:
                _attempt(services.assign_reviewer, department_manager, agreement, reviewer)
                scores = [4, 3, 4][:len(challenge.criteria)] if challenge else []
                _attempt(services.recommend, reviewer, agreement, Recommendation.approve, scores=scores,
                         comment="Fits the site; check the mounting height with the street maintenance team.",
                         now=at + timedelta(hours=20))
        decide_at = max(at + timedelta(days=2), (challenge.deadline_dt + timedelta(hours=2)) if challenge else at)
        if state == "changes_requested":
            _attempt(services.transition, department_manager, agreement, "request_changes", now=decide_at,
                     reason="Please add how the equipment is protected from vandalism, and the noise KPI.")
        if state == "declined":
            _attempt(services.transition, department_manager, agreement, "decline", now=decide_at,
                     reason=decline_reason or "Another proposal scored higher on the criteria.")
        if steps >= 3:
            _attempt(services.transition, department_manager, agreement, "approve", now=decide_at)
        if steps >= 4:
            sign_at = decide_at + timedelta(days=1)
            for party in services.party_ids(agreement):
                signer = department_manager if party is None else self.member(db.session.get(Organisation, party))
                _attempt(services.accept, signer, agreement, party, document_sha256=services.document(agreement)[1],
                         remote_addr="192.0.2.10", now=sign_at)
            _attempt(services.transition, department_manager, agreement, "activate", now=_midnight(first))
        if steps >= 5 and report:
            _attempt(services.file_report, lead, agreement, now=_midnight(last) - timedelta(days=2), **report)
            _attempt(services.accept_report, department_manager, agreement, now=_midnight(last) + timedelta(days=3),
                     assessment=report.pop("assessment", "Useful results; the lessons go to the next tender."))
        self.count(f"{agreement.status.value} pilots")
        return agreement


def _load() -> str:
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == MARKER).limit(1)):
        return "already seeded"
    environment = db.session.scalar(select(Department).where(Department.name == "Urban Environment"))
    innovation = db.session.scalar(select(Department).where(Department.name == "Innovation and Business"))
    if environment is None or not environment.managers:
        return "no Urban Environment department with a manager; nothing to seed"
    seeder = _Seeder()
    today = seeder.today
    with notifications_suppressed():
        _attempt(services.save_template, None, TEMPLATE_NAME, TEMPLATE_BODY, CLAUSES,
                 translations=TEMPLATE_TRANSLATIONS if content_language() == "en" else None,
                 now=seeder.now - timedelta(days=400))
        reviewer = innovation.managers[0] if innovation and innovation.managers else None
        criteria = [{"name": "Benefit to residents", "weight": 40}, {"name": "Feasibility on the site", "weight": 35},
                    {"name": "Cost to the city", "weight": 25}]
        seeder.challenge(environment, "Cleaner air on Kävelykatu",
                         "Particulate and noise levels on the pedestrian street are unknown hour by hour. We want "
                         "street-level measurements residents can see.",
                         "The street's mounts, power and fibre free of charge; open data; contacts to the shops.",
                         ["kavelykatu-pilot-zone"], 21, criteria)
        seeder.challenge(environment, "Smart harbour logistics",
                         "Deliveries block the quay in the mornings. How could they be scheduled or bundled?",
                         "The quay testbed free of charge for up to eight weeks; the harbour's traffic data.",
                         ["satama-harbour-quay-testbed"], 35, criteria, fee=8_000_00)
        lighting = seeder.challenge(environment, "Dark streets, bright ideas",
                                    "Street lighting uses too much energy on empty streets at night.",
                                    "The smart lighting testbed's forty poles and their meters.",
                                    ["koivumaki-smart-lighting-testbed"], -200, criteria, created_days_ago=260,
                                    fee=12_000_00)
        seeder.pilot(ROBOTICS, [UNIVERSITY], "koivumaki-smart-lighting-testbed", "Presence-sensing street lights",
                     "Lights dim to 20 % on empty streets and brighten ahead of people walking or cycling.",
                     today - timedelta(days=180), 6, state="completed", challenge=lighting, reviewer=reviewer,
                     fee=12_000_00, report={
                         "kpi_results": "Energy use down 38 % (target 30 %); no complaints; 99.2 % uptime.",
                         "worked": "Radar sensors worked in snow; residents liked the soft dimming.",
                         "failed": "Two sensors mis-read cyclists at high speed until recalibrated.",
                         "lessons": "Involve street maintenance from day one; agree the data format before install.",
                         "scalable": True, "stays": True})
        seeder.pilot(TELECOM, [], "koivumaki-smart-lighting-testbed", "Lighting poles as 5G small-cell hosts",
                     "Small cells on lighting poles to cover the residential street.", today - timedelta(days=180), 4,
                     state="declined", challenge=lighting,
                     decline_reason="The proposal scored lower on benefit to residents; thank you for applying.")
        seeder.pilot(SENSORS, [UNIVERSITY], "satama-harbour-quay-testbed", "Quay air-quality and noise sensors",
                     "Eight sensors along the quay measuring particulates, NO2 and noise during ferry traffic.",
                     today - timedelta(days=120), 4, state="completed", report={
                         "kpi_results": "96 % data availability; ferry peaks clearly visible; 14 000 readings/week.",
                         "worked": "Solar-powered units needed no grid connection.",
                         "failed": "Salt spray fouled two inlets within three weeks.",
                         "lessons": "Plan fortnightly maintenance near the sea; publish data live from week one.",
                         "scalable": True, "stays": False})
        seeder.pilot(SENSORS, [ROBOTICS], "satama-harbour-quay-testbed", "Autonomous quay cleaning robot",
                     "A small electric robot sweeps litter from the quay at night.", today - timedelta(days=10), 4,
                     state="active", consent=True, reviewer=reviewer)
        seeder.pilot(ROBOTICS, [], "autonomous-bus-test-route", "Delivery robot on the bus test route",
                     "Two delivery robots carry library books to the service centre.", today + timedelta(days=40), 3,
                     state="approved")
        seeder.pilot(UNIVERSITY, [SENSORS], "kavelykatu-pilot-zone", "Pedestrian counting with thermal sensors",
                     "Anonymous thermal counters at four street corners.", today + timedelta(days=50), 4,
                     state="changes_requested")
        seeder.pilot(SENSORS, [], "kavelykatu-pilot-zone", "Smart benches with phone charging",
                     "Four solar benches that charge phones and count use.", today + timedelta(days=60), 6,
                     state="submitted", reviewer=reviewer)
        seeder.pilot(ROBOTICS, [UNIVERSITY], "satama-harbour-quay-testbed", "Robotic mooring assistant",
                     "A draft: a robot arm that helps small boats moor.", today + timedelta(days=90), 2, state="draft")
    with unit_of_work():
        record(MARKER, object_type="system", after=dict(seeder.made))
    return ", ".join(f"{count} {what}" for what, count in sorted(seeder.made.items())) or "nothing"
