"""The sandbox world: a deterministic, fictional contact center seen through four provider APIs.

`World.generate(seed=7, volume=1, now=None)` builds the same world for the same seed, volume and anchor
time (`now` defaults to the current UTC day at 00:00, so a world is stable within a day). Everything is
drawn from one `random.Random(seed)`; nothing touches the global RNG.

`month_sms` / `month_calls` add that many Zoom Contact Center SMS engagements / voice calls spread over the
last 30 days, on top of the `volume`-scaled world (whose 90 days of Contact Center data come with as many
LiveVox threads, Phone sessions and Routee sends): a busy month for digests and benchmarks in a second or
two, without scaling the rest. They are drawn from RNGs of their own, so the rest of the world is the same.

The same people appear everywhere: each agent is a LiveVox agent (agentId, loginId, name, status) and a
Zoom user (user id, display name, email, a Zoom Phone number); each customer (`Contact`) has a LiveVox
account with compliance flags, LiveVox SMS threads and transaction history, Zoom Contact Center SMS
engagements and voice calls, Zoom Phone SMS sessions and Routee tracked messages.

Phone numbers are fictional: `+1 NPA 555 01xx` (the range reserved for fiction in North America) and
`+44 7700 900xxx` (Ofcom's drama range). Business numbers (SMS codes, Zoom Phone numbers, contact-center
numbers) are `+1 415 555 015x..019x`; customers never use those.

`world.demo` holds the stable demo identities the rest of the product documents (they do not depend on the
seed): see `Demo`.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.credentials import LIVEVOX_CLIENT_NAME

# --------------------------------------------------------------------------------------------------
# Demo identities (constant across seeds so documentation and tests can name them)
# --------------------------------------------------------------------------------------------------


def _stable_zoom_id(label: str) -> str:
    """A 22-character Zoom-style id derived from a label (not from the seed)."""
    raw = hashlib.sha256(f"switchboard-sandbox:{label}".encode()).digest()[:16]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class DemoCustomer:
    phone: str
    first_name: str
    last_name: str
    account: str
    note: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Demo:
    """Stable demo identities with rich history in every provider (the same for every seed)."""

    customers: tuple[DemoCustomer, ...] = (
        DemoCustomer("+14155550100", "Maria", "Gonzalez", "880100", "opted in, clean"),
        DemoCustomer("+14155550101", "James", "Chen", "880101", "opted in, clean"),
        DemoCustomer(
            "+14155550102", "Priya", "Patel", "880102", "on the Do-Not-Contact list (dnc, doNotDial)"
        ),
        DemoCustomer("+14155550103", "Robert", "Okafor", "880103", "opted out of SMS (smsOptInStatus=false)"),
    )
    # LiveVox
    agent_id: int = 700101
    agent_login: str = "JRIVERA"
    agent_name: str = "Jordan Rivera"
    transfer_agent_id: int = 700102
    transfer_agent_login: str = "SKIM"
    transfer_agent_name: str = "Sam Kim"
    supervisor_login: str = "SUPERVISOR"
    supervisor_user_id: int = 700001
    client_name: str = LIVEVOX_CLIENT_NAME
    client_id: int = 1100
    service_id: int = 100915
    service_name: str = "Customer Care"
    sender_code: str = "14155550150"
    # Zoom
    zoom_user_id: str = _stable_zoom_id("user:JRIVERA")
    zoom_user_email: str = "jordan.rivera@switchboard-demo.example"
    zoom_phone_number: str = "+14155550160"
    zoom_queue_id: str = _stable_zoom_id("queue:customer-care")
    zoom_queue_name: str = "Customer Care"
    transfer_zoom_user_id: str = _stable_zoom_id("user:SKIM")
    # Routee
    routee_sender: str = "Switchboard"
    routee_campaign_id: str = str(
        uuid.UUID(bytes=hashlib.sha256(b"routee-campaign:spring").digest()[:16], version=4)
    )
    routee_campaign_name: str = "Spring payment reminders"

    # Texted STOP to the demo agent's Zoom Phone number, and nothing anywhere else: no LiveVox contact, so
    # only Switchboard's reading of every provider's history knows it opted out.
    phone_stop_number: str = "+14155550190"

    @property
    def phone_numbers(self) -> tuple[str, ...]:
        return tuple(c.phone for c in self.customers)

    @property
    def dnc_number(self) -> str:
        return self.customers[2].phone

    @property
    def opted_out_number(self) -> str:
        return self.customers[3].phone

    def customer(self, phone: str) -> DemoCustomer | None:
        return next((c for c in self.customers if c.phone == phone), None)


DEMO = Demo()

# --------------------------------------------------------------------------------------------------
# Entities
# --------------------------------------------------------------------------------------------------


@dataclass
class Agent:
    agent_id: int
    login_id: str
    name: str
    status: str  # READY | NOTREADY | LOGGED_OFF
    service_ids: list[int]
    zoom_user_id: str
    email: str
    zoom_phone_number: str  # E.164
    team_id: str
    team_name: str
    region_id: str
    region_name: str

    @property
    def display_name(self) -> str:
        return self.name


@dataclass
class LiveVoxUser:
    """A non-agent login (supervisor/manager) that logs in with agent=false."""

    user_id: int
    login_id: str
    name: str
    role: str


@dataclass
class Service:
    service_id: int
    name: str
    sms_codes: list[str]


@dataclass
class SmsCode:
    code: str
    description: str
    service_id: int


@dataclass
class SmsTemplate:
    id: int
    description: str | None
    message: str
    sms_code: str
    opt_in_flag: bool = False


@dataclass
class Queue:
    queue_id: str
    name: str
    number: str  # contact-center number, E.164


@dataclass
class Flow:
    flow_id: str
    name: str


@dataclass
class Contact:
    phone: str  # E.164
    country_iso: str
    account: str
    original_account_number: str
    first_name: str
    last_name: str
    dob: str
    ssn: str
    email: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    wireless: bool
    dnc: bool
    do_not_dial: bool
    do_not_dial_daily: bool
    sms_opt_in_status: bool
    payment_balance: float
    account_due_date: str
    operator: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def lv_phone(self) -> str:
        """LiveVox writes numbers as digits with the country code and no "+" (14155550100)."""
        return self.phone.lstrip("+")

    @property
    def blocked(self) -> bool:
        return self.dnc or self.do_not_dial or self.do_not_dial_daily


LV_IN_FLIGHT = "SMS MT Sent"
"""A LiveVox send handed to the carrier, its delivery report not in yet."""

LV_INBOUND = "Operator Transfer"
"""The status of a customer's message in LiveVox's transaction history (seed 001's inbound examples)."""


@dataclass
class LvMessage:
    """One LiveVox SMS transaction (transaction history entry)."""

    id: str
    thread_id: str | None
    account: str
    phone: str  # digits, no "+"
    sms_code: str
    message: str
    date: datetime
    status: str
    direction: int  # 1 inbound, 2 outbound
    service_id: int
    agent_id: int | None = None
    template_id: int | None = None
    # A send's delivery record arrives a moment after it is accepted: until `settles_at` LiveVox's
    # history shows it in flight (`LV_IN_FLIGHT`), then `status` (delivered, or blocked: DNC, opt-out).
    settles_at: datetime | None = None

    def status_at(self, now: datetime) -> str:
        """The status the transaction history shows at `now`."""
        if self.settles_at is not None and now < self.settles_at:
            return LV_IN_FLIGHT
        return self.status


@dataclass
class Thread:
    thread_id: str
    service_id: int
    account: str
    phone: str  # E.164
    sms_code: str
    owner_agent_id: int | None  # None = the service's group inbox
    read: bool
    replied: bool
    resolved: bool
    object_id: str
    interaction_uuid: str
    campaign_id: str | None
    started_at: datetime
    messages: list[LvMessage] = field(default_factory=list)
    term_code_id: int | None = None

    @property
    def last_message(self) -> LvMessage | None:
        return max(self.messages, key=lambda m: (m.date, m.id)) if self.messages else None

    @property
    def last_date(self) -> datetime:
        last = self.last_message
        return last.date if last else self.started_at


@dataclass
class CcSmsLog:
    engagement_id: str
    direction: str
    contact_center_number: str
    start_time: datetime
    end_time: datetime
    consumer_number: str
    consumer_display_name: str
    queues: list[Queue]
    agents: list[Agent]
    country_iso: str
    country_name: str
    sms_types: list[str]
    total_sent_messages: int
    total_received_messages: int
    total_sent_files: int
    total_received_files: int


@dataclass
class VoiceCall:
    engagement_id: str
    direction: str
    call_legs: list[str]
    distributions: list[str]
    types: list[str]
    caller_number: str
    caller_number_type: str | None
    callee_number: str
    callee_number_type: str | None
    start_time: datetime
    end_time: datetime
    total_duration: int
    consumer_number: str
    consumer_display_name: str
    queues: list[Queue]
    agents: list[Agent]
    flows: list[Flow]
    country_iso: str
    country_name: str
    recorded: bool
    monitored: bool
    inbox: bool
    result: str
    caller_id: str
    calling_party: str
    charge: str
    rates: list[str]
    number_type: str  # the contact-center number's type


@dataclass
class PhoneParty:
    phone_number: str  # digits, no "+" (as in the Zoom Phone examples)
    display_name: str | None
    owner_id: str | None
    owner_type: str | None


@dataclass
class PhoneSmsMessage:
    message_id: str
    date_time: datetime
    direction: str  # In | Out (from the session owner's side)
    message: str
    message_type: int
    delivery_status: str
    sender: PhoneParty
    to_members: list[PhoneParty]
    attachments: list[dict[str, Any]]


@dataclass
class PhoneSmsSession:
    session_id: str
    session_type: str  # user | call_queue | auto_receptionist | service_endpoint
    owner: PhoneParty
    others: list[PhoneParty]
    messages: list[PhoneSmsMessage]

    @property
    def last_access_time(self) -> datetime:
        return max(m.date_time for m in self.messages)


ROUTEE_REASONS: dict[str, str] = {
    "Sent": "The message has been sent to the operator; waiting for a delivery report.",
    "Delivered": "The message was delivered to the recipient's handset.",
    "Undelivered": "The operator reported that the message could not be delivered.",
    "Failed": "The message could not be sent to the operator.",
    "Undelivered on Handset": "The handset rejected the message (e.g. memory full or switched off too long).",
    "Unknown Number": "The number does not exist or is no longer in service.",
    "Roaming": "The recipient was roaming on a network that does not accept the message.",
    "Call Barred": "The recipient's line is barred from receiving messages.",
    "Unknown Status": "The operator returned no definitive delivery report.",
    "Carrier Violation": "The carrier rejected the message for violating its content or sender rules.",
    "Expired": "The message expired before it could be delivered.",
}
UNDELIVERED_REASONS = [
    "Undelivered",
    "Undelivered on Handset",
    "Unknown Number",
    "Roaming",
    "Call Barred",
    "Unknown Status",
    "Carrier Violation",
    "Expired",
]


@dataclass
class RouteeMessage:
    """A Routee message (one or more SMS parts sharing `message_id`, the send's trackingId)."""

    message_id: str
    sms_ids: list[str]
    created_at: datetime
    sender: str
    to: str
    body: str
    label: str | None
    campaign_name: str | None
    campaign_tracking_id: str | None
    country: str
    operator: str
    direction: str  # Outbound | Inbound
    price_per_part: float
    application_name: str
    final_status: str  # Delivered | Undelivered | Failed
    detailed_status: str
    sent_after: timedelta
    final_after: timedelta
    groups: list[str] = field(default_factory=list)
    callback: dict[str, Any] | None = None

    @property
    def parts(self) -> int:
        return len(self.sms_ids)

    def status_at(self, now: datetime) -> tuple[str, datetime, str | None]:
        """(status, date of that status, detailed status) as seen at `now`. Inbound messages are final."""
        if self.direction == "Inbound":
            return "Delivered", self.created_at, "Delivered"
        if now < self.created_at + self.sent_after and self.final_status != "Failed":
            return "Queued", self.created_at, None
        if self.final_status == "Failed":
            if now < self.created_at + self.sent_after:
                return "Queued", self.created_at, None
            return "Failed", self.created_at + self.sent_after, self.detailed_status
        if now < self.created_at + self.final_after:
            return "Sent", self.created_at + self.sent_after, "Sent"
        return self.final_status, self.created_at + self.final_after, self.detailed_status


# --------------------------------------------------------------------------------------------------
# Name and text pools
# --------------------------------------------------------------------------------------------------

_FIRST = [
    "Avery", "Blake", "Camila", "Daniel", "Elena", "Farah", "Gabriel", "Hana", "Isaac", "Jasmine", "Kofi",
    "Lucia", "Mateo", "Nadia", "Omar", "Paula", "Quinn", "Rosa", "Samir", "Tanya", "Umar", "Valeria",
    "Wesley", "Ximena", "Yusuf", "Zoe", "Aaron", "Bianca", "Carlos", "Dana", "Eli", "Fiona", "Grace",
    "Hector", "Ines", "Jonah", "Keiko", "Liam", "Mei", "Noah", "Olivia", "Pedro", "Rania", "Sofia",
]  # fmt: skip
_LAST = [
    "Abbott", "Bauer", "Castillo", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ibrahim", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka",
    "Usman", "Varga", "Walsh", "Xu", "Yamamoto", "Zielinski", "Alvarez", "Brennan", "Costa", "Duarte",
]  # fmt: skip
_CITIES = [
    ("San Francisco", "CA", "94103"), ("New York", "NY", "10001"), ("Chicago", "IL", "60601"),
    ("Boston", "MA", "02108"), ("Austin", "TX", "78701"), ("Seattle", "WA", "98101"),
    ("Denver", "CO", "80202"), ("Miami", "FL", "33101"), ("Atlanta", "GA", "30303"),
]  # fmt: skip
_STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Lakeview Rd", "Hillcrest Ave"]
_US_AREAS = ["212", "213", "305", "312", "303", "404", "512", "617", "646", "702", "718", "206"]
_CA_AREAS = ["416", "604", "514"]
_COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom"}
_OPERATORS = {
    "US": ["Verizon Wireless", "T-Mobile USA", "AT&T Mobility"],
    "CA": ["Rogers Wireless", "Bell Mobility", "Telus Mobility"],
    "GB": ["EE", "Vodafone UK", "O2 UK"],
}
_ROUTEE_PRICE = {"US": 0.0075, "CA": 0.0085, "GB": 0.035}
_INBOUND_TEXTS = [
    "Hi, I got a text about my account",
    "Can I pay on Friday instead?",
    "What is my current balance?",
    "Okay",
    "Good",
    "Thanks, that works",
    "Please call me after 5pm",
    "I already paid this morning",
    "Is there a payment plan?",
    "Who is this?",
    "Yes",
    "Can you resend the link?",
]
_OUTBOUND_TEXTS = [
    "Hi {first}, this is {agent} from {service}. How can I help?",
    "Hi {first}, your payment of ${amount} is due on {due}.",
    "Thanks {first}! I have noted that on your account.",
    "You can pay securely at https://pay.example.com/{account}",
    "Our team is available 8am-8pm ET. Reply HELP for help, STOP to opt out.",
    "Hi {first}, just following up on your last message.",
    "Your payment plan is set up. Reply YES to confirm.",
    "We received your payment. Thank you!",
]
_PHONE_TEXTS_IN = [
    "Hi, can someone call me back?",
    "Is my appointment still on for tomorrow?",
    "Got it, thanks",
    "What documents do I need?",
    "Running 10 minutes late",
]
_PHONE_TEXTS_OUT = [
    "Hi {first}, thanks for reaching out. I'll call you in 5 minutes.",
    "Yes, you're confirmed for tomorrow at 10am.",
    "Please bring a photo ID and your account number.",
    "No problem, see you soon.",
    "Here is the form you asked for.",
]
_ROUTEE_TEXTS = [
    "Hi {first}, your payment of ${amount} is due on {due}. Pay at https://pay.example.com/{account}",
    "Your verification code is {code}",
    "Reminder: your appointment is tomorrow at 10:00. Reply C to confirm.",
    "{first}, your order has shipped and arrives Thursday.",
    "Thanks for your payment, {first}. Your balance is now ${amount}.",
]


def _mix(seed: int, label: str) -> random.Random:
    """A sub-RNG for one part of the world, so adding data in one place does not reshuffle the others."""
    digest = hashlib.sha256(f"{seed}:{label}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _zoom_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("=")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _at(
    rng: random.Random, now: datetime, oldest: timedelta, newest: timedelta = timedelta(minutes=5)
) -> datetime:
    """A random second between now-oldest and now-newest."""
    span = int((oldest - newest).total_seconds())
    return now - newest - timedelta(seconds=rng.randint(0, max(span, 0)))


# --------------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------------


@dataclass
class World:
    seed: int
    volume: int
    now: datetime
    demo: Demo
    agents: dict[int, Agent]
    users: dict[int, LiveVoxUser]
    services: dict[int, Service]
    sms_codes: list[SmsCode]
    templates: list[SmsTemplate]
    queues: dict[str, Queue]
    flows: list[Flow]
    contacts: dict[str, Contact]  # by E.164 phone
    threads: dict[str, Thread]
    lv_messages: list[LvMessage]
    cc_sms_logs: list[CcSmsLog]
    voice_calls: list[VoiceCall]
    phone_sessions: dict[str, PhoneSmsSession]
    routee_messages: list[RouteeMessage]
    routee_campaigns: dict[str, str]  # tracking id -> name
    _next_lv_id: int = 56_100_000_000
    _id_rng: random.Random = field(default_factory=random.Random)

    # ---- lookups ------------------------------------------------------------------------------

    def agent_by_login(self, login: str) -> Agent | None:
        return next((a for a in self.agents.values() if a.login_id.upper() == login.upper()), None)

    def user_by_login(self, login: str) -> LiveVoxUser | None:
        return next((u for u in self.users.values() if u.login_id.upper() == login.upper()), None)

    def agent_by_zoom_id(self, user_id: str) -> Agent | None:
        return next(
            (a for a in self.agents.values() if user_id in (a.zoom_user_id, a.email)),
            None,
        )

    def contact_by_digits(self, number: str) -> Contact | None:
        """Find a contact from any spelling: +14155550100, 14155550100 or 4155550100."""
        only = "".join(ch for ch in number if ch.isdigit())
        if not only:
            return None
        for candidate in (f"+{only}", f"+1{only}"):
            if candidate in self.contacts:
                return self.contacts[candidate]
        return None

    def contact_by_account(self, account: str) -> Contact | None:
        return next((c for c in self.contacts.values() if c.account == account), None)

    def codes_for_service(self, service_id: int) -> list[SmsCode]:
        return [c for c in self.sms_codes if c.service_id == service_id]

    def next_lv_id(self) -> str:
        self._next_lv_id += self._id_rng.randint(1, 7)
        return str(self._next_lv_id)

    def new_uuid(self) -> str:
        return _uuid(self._id_rng)

    def new_zoom_id(self) -> str:
        return _zoom_id(self._id_rng)

    # ---- per-number history (used by tests and documentation) ------------------------------------

    def history_counts(self, phone: str) -> dict[str, int]:
        only = phone.lstrip("+")
        return {
            "livevox_threads": sum(1 for t in self.threads.values() if t.phone == phone),
            "livevox_messages": sum(1 for m in self.lv_messages if m.phone == only),
            "zoom_cc_sms": sum(1 for s in self.cc_sms_logs if s.consumer_number == phone),
            "zoom_voice_calls": sum(1 for v in self.voice_calls if v.consumer_number == phone),
            "zoom_phone_sessions": sum(
                1 for s in self.phone_sessions.values() if any(p.phone_number == only for p in s.others)
            ),
            "routee_messages": sum(1 for r in self.routee_messages if r.to == phone),
        }

    def summary(self) -> dict[str, int]:
        return {
            "agents": len(self.agents),
            "contacts": len(self.contacts),
            "threads": len(self.threads),
            "livevox_messages": len(self.lv_messages),
            "zoom_cc_sms": len(self.cc_sms_logs),
            "zoom_voice_calls": len(self.voice_calls),
            "zoom_phone_sessions": len(self.phone_sessions),
            "routee_messages": len(self.routee_messages),
        }

    # ---- generation -------------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        seed: int = 7,
        volume: int = 1,
        now: datetime | None = None,
        *,
        month_sms: int = 0,
        month_calls: int = 0,
    ) -> World:
        if volume < 1:
            raise ValueError("volume must be >= 1")
        if month_sms < 0 or month_calls < 0:
            raise ValueError("month_sms and month_calls must be >= 0")
        if now is None:
            today = datetime.now(UTC)
            now = today.replace(hour=0, minute=0, second=0, microsecond=0)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        else:
            now = now.astimezone(UTC)
        return _Generator(seed, volume, now, month_sms=month_sms, month_calls=month_calls).build()


MONTH = timedelta(days=30)


class _Generator:
    def __init__(
        self, seed: int, volume: int, now: datetime, *, month_sms: int = 0, month_calls: int = 0
    ) -> None:
        self.seed = seed
        self.volume = volume
        self.now = now
        self.month_sms = month_sms
        self.month_calls = month_calls
        self.demo = DEMO
        self.lv_counter = 56_047_000_000 + _mix(seed, "lv-ids").randint(0, 900_000)

    def lv_id(self, rng: random.Random) -> str:
        self.lv_counter += rng.randint(1, 40)
        return str(self.lv_counter)

    def build(self) -> World:
        seed, volume, now = self.seed, self.volume, self.now
        services, codes, templates = self._services()
        agents, users = self._agents(services)
        queues, flows = self._queues()
        contacts = self._contacts()
        threads, lv_messages = self._livevox(agents, services, contacts)
        cc_logs = self._cc_sms(agents, queues, contacts)
        calls = self._voice_calls(agents, queues, flows, contacts)
        sessions = self._phone(agents, queues, contacts)
        campaigns, routee = self._routee(contacts)
        world = World(
            seed=seed,
            volume=volume,
            now=now,
            demo=self.demo,
            agents=agents,
            users=users,
            services=services,
            sms_codes=codes,
            templates=templates,
            queues=queues,
            flows=flows,
            contacts=contacts,
            threads=threads,
            lv_messages=lv_messages,
            cc_sms_logs=cc_logs,
            voice_calls=calls,
            phone_sessions=sessions,
            routee_messages=routee,
            routee_campaigns=campaigns,
        )
        world._next_lv_id = max(self.lv_counter, 56_100_000_000)
        world._id_rng = _mix(seed, "runtime-ids")
        return world

    # ---- LiveVox configuration ------------------------------------------------------------------

    def _services(self) -> tuple[dict[int, Service], list[SmsCode], list[SmsTemplate]]:
        d = self.demo
        services = {
            d.service_id: Service(d.service_id, d.service_name, [d.sender_code, "14155550151"]),
            100916: Service(100916, "Collections", ["14155550152"]),
            100917: Service(100917, "Appointments", ["14155550153"]),
        }
        codes = [
            SmsCode(d.sender_code, "Long_Code", d.service_id),
            SmsCode("14155550151", "Toll_Free", d.service_id),
            SmsCode("14155550152", "Long_Code", 100916),
            SmsCode("14155550153", "Long_Code", 100917),
        ]
        templates = [
            SmsTemplate(75870, None, "Hello reply yes for SMS Opt-In", d.sender_code),
            SmsTemplate(
                75959, "payment_reminder", "Your payment is due soon. Reply HELP for help.", d.sender_code
            ),
            SmsTemplate(
                75960,
                "callback",
                "We tried to reach you. Please call us back at 415-555-0151.",
                d.sender_code,
            ),
            SmsTemplate(75961, "payment_received", "We received your payment. Thank you!", "14155550152"),
            SmsTemplate(75962, "appointment", "Reminder: your appointment is tomorrow.", "14155550153"),
        ]
        return services, codes, templates

    def _agents(self, services: dict[int, Service]) -> tuple[dict[int, Agent], dict[int, LiveVoxUser]]:
        rng = _mix(self.seed, "agents")
        d = self.demo
        teams = [("Tier 1", _zoom_id(rng)), ("Tier 2", _zoom_id(rng)), ("Escalations", _zoom_id(rng))]
        regions = [("Main Region", _zoom_id(rng)), ("EMEA", _zoom_id(rng))]
        agents: dict[int, Agent] = {}

        def add(
            agent_id: int, login: str, name: str, status: str, service_ids: list[int], zoom_id: str
        ) -> None:
            index = len(agents)
            team_name, team_id = teams[index % len(teams)]
            region_name, region_id = regions[0] if index % 4 else regions[index % 2]
            email = f"{name.lower().replace(' ', '.')}@switchboard-demo.example"
            agents[agent_id] = Agent(
                agent_id=agent_id,
                login_id=login,
                name=name,
                status=status,
                service_ids=service_ids,
                zoom_user_id=zoom_id,
                email=email,
                zoom_phone_number=f"+141555501{60 + index:02d}",
                team_id=team_id,
                team_name=team_name,
                region_id=region_id,
                region_name=region_name,
            )

        add(d.agent_id, d.agent_login, d.agent_name, "READY", [d.service_id, 100916], d.zoom_user_id)
        add(
            d.transfer_agent_id,
            d.transfer_agent_login,
            d.transfer_agent_name,
            "READY",
            [d.service_id],
            d.transfer_zoom_user_id,
        )
        used_names = {d.agent_name, d.transfer_agent_name}
        count = min(10 + 2 * (self.volume - 1), 18)
        service_ids = list(services)
        next_id = 700103
        while len(agents) < count + 2:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            name = f"{first} {last}"
            if name in used_names:
                continue
            used_names.add(name)
            login = (first[0] + last).upper()[:12]
            if any(a.login_id == login for a in agents.values()):
                login = f"{login}{len(agents)}"
            status = rng.choice(["READY", "READY", "NOTREADY", "NOTREADY", "LOGGED_OFF"])
            home = service_ids[len(agents) % len(service_ids)]
            extra = [s for s in service_ids if s != home and rng.random() < 0.25]
            add(next_id, login, name, status, [home, *extra], _zoom_id(rng))
            next_id += rng.randint(1, 9)
        users = {
            d.supervisor_user_id: LiveVoxUser(
                d.supervisor_user_id, d.supervisor_login, "Casey Morgan", "Manager"
            ),
            700002: LiveVoxUser(700002, "ADMIN", "Alex Admin", "Sysadmin"),
        }
        return agents, users

    def _queues(self) -> tuple[dict[str, Queue], list[Flow]]:
        rng = _mix(self.seed, "queues")
        d = self.demo
        queues = {d.zoom_queue_id: Queue(d.zoom_queue_id, d.zoom_queue_name, "+14155550180")}
        for index, name in enumerate(["Billing", "Collections", "Appointments"], start=1):
            qid = _zoom_id(rng)
            queues[qid] = Queue(qid, name, f"+141555501{80 + index}")
        flows = [Flow(_zoom_id(rng), name) for name in ("Main IVR", "After hours", "SMS intake")]
        return queues, flows

    # ---- contacts ------------------------------------------------------------------------------------

    def _contacts(self) -> dict[str, Contact]:
        rng = _mix(self.seed, "contacts")
        contacts: dict[str, Contact] = {}
        for demo_customer in self.demo.customers:
            contacts[demo_customer.phone] = self._contact(rng, demo_customer.phone, "US", demo_customer)
        pool: list[tuple[str, str]] = [(f"+1415555{n:04d}", "US") for n in range(104, 150)]
        pool += [(f"+1{area}555{n:04d}", "US") for area in _US_AREAS for n in range(100, 200)]
        pool += [(f"+1{area}555{n:04d}", "CA") for area in _CA_AREAS for n in range(100, 200)]
        pool += [(f"+447700900{n:03d}", "GB") for n in range(0, 1000)]
        count = min(60 * self.volume, len(pool))
        for phone, country in rng.sample(pool, count):
            contacts[phone] = self._contact(rng, phone, country, None)
        return contacts

    def _contact(self, rng: random.Random, phone: str, country: str, demo: DemoCustomer | None) -> Contact:
        first = demo.first_name if demo else rng.choice(_FIRST)
        last = demo.last_name if demo else rng.choice(_LAST)
        city, state, zip_code = rng.choice(_CITIES)
        account = demo.account if demo else str(rng.randint(100000, 879999))
        dnc = rng.random() < 0.05
        do_not_dial = rng.random() < 0.04
        daily = rng.random() < 0.03
        opted_in = rng.random() > 0.1
        wireless = rng.random() < 0.85
        if demo is not None:
            wireless = True
            dnc = do_not_dial = demo.phone == self.demo.dnc_number
            daily = False
            opted_in = demo.phone != self.demo.opted_out_number
        dob = f"{rng.randint(1950, 2002)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        due = (self.now + timedelta(days=rng.randint(-10, 30))).date().isoformat()
        return Contact(
            phone=phone,
            country_iso=country,
            account=account,
            original_account_number=f"ORIG-{account}",
            first_name=first,
            last_name=last,
            dob=dob,
            ssn=f"9{rng.randint(0, 99):02d}{rng.randint(70, 99):02d}{rng.randint(0, 9999):04d}",
            email=f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com",
            address1=f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            address2=rng.choice(["", "", f"Apt {rng.randint(1, 40)}"]),
            city=city,
            state=state,
            zip_code=zip_code,
            wireless=wireless,
            dnc=dnc,
            do_not_dial=do_not_dial,
            do_not_dial_daily=daily,
            sms_opt_in_status=opted_in,
            payment_balance=round(rng.uniform(20, 2500), 2),
            account_due_date=due,
            operator=rng.choice(_OPERATORS[country]),
        )

    # ---- LiveVox threads and history ---------------------------------------------------------------

    def _livevox(
        self, agents: dict[int, Agent], services: dict[int, Service], contacts: dict[str, Contact]
    ) -> tuple[dict[str, Thread], list[LvMessage]]:
        rng = _mix(self.seed, "livevox")
        d = self.demo
        now = self.now
        threads: dict[str, Thread] = {}
        messages: list[LvMessage] = []

        def make_thread(
            contact: Contact,
            service_id: int,
            owner: int | None,
            *,
            read: bool,
            resolved: bool,
            age: timedelta,
            turns: int,
        ) -> Thread:
            service = services[service_id]
            code = service.sms_codes[0]
            start = now - age
            thread = Thread(
                thread_id=self.lv_id(rng),
                service_id=service_id,
                account=contact.account,
                phone=contact.phone,
                sms_code=code,
                owner_agent_id=owner,
                read=read,
                replied=False,
                resolved=resolved,
                object_id=_uuid(rng),
                interaction_uuid=_uuid(rng),
                campaign_id=str(rng.randint(10000, 99999)) if rng.random() < 0.3 else None,
                started_at=start,
            )
            moment = start
            agent = agents.get(owner) if owner else None
            # An unread thread ends with the customer's message; a read one may end either way.
            inbound_first = (turns - 1) % 2 == 0 if not read else rng.random() < 0.6
            for turn in range(turns):
                inbound = (turn % 2 == 0) == inbound_first
                moment += timedelta(minutes=rng.randint(1, 180))
                if moment > now - timedelta(minutes=2):
                    moment = now - timedelta(minutes=2 + turns - turn)
                if inbound:
                    text = rng.choice(_INBOUND_TEXTS)
                    status = LV_INBOUND
                else:
                    text = self._fill(rng, rng.choice(_OUTBOUND_TEXTS), contact, agent, service.name)
                    status = "SMS MT Delivered" if rng.random() < 0.92 else "SMS MT Undelivered"
                    thread.replied = True
                msg = LvMessage(
                    id=self.lv_id(rng),
                    thread_id=thread.thread_id,
                    account=contact.account,
                    phone=contact.lv_phone,
                    sms_code=code,
                    message=text,
                    date=moment,
                    status=status,
                    direction=1 if inbound else 2,
                    service_id=service_id,
                    agent_id=None if inbound else (owner or d.agent_id),
                )
                thread.messages.append(msg)
                messages.append(msg)
            threads[thread.thread_id] = thread
            return thread

        # Demo numbers: every kind of inbox state, plus older resolved conversations.
        demo_layout = [
            (d.customers[0].phone, d.agent_id, False),  # personal, unread
            (d.customers[1].phone, d.agent_id, True),  # personal, read
            (d.customers[2].phone, None, True),  # group inbox
            (d.customers[3].phone, None, False),  # group inbox, unread
        ]
        for phone, owner, read in demo_layout:
            contact = contacts[phone]
            make_thread(
                contact, d.service_id, owner, read=read, resolved=False, age=timedelta(days=2), turns=6
            )
            for _ in range(2):
                make_thread(
                    contact,
                    d.service_id,
                    d.agent_id,
                    read=True,
                    resolved=True,
                    age=timedelta(days=rng.randint(10, 80)),
                    turns=rng.randint(3, 6),
                )
        make_thread(
            contacts[d.customers[0].phone],
            d.service_id,
            d.transfer_agent_id,
            read=True,
            resolved=False,
            age=timedelta(days=1),
            turns=3,
        )

        others = [c for c in contacts.values() if d.customer(c.phone) is None]
        agent_ids = list(agents)
        for _ in range(40 * self.volume):
            contact = rng.choice(others)
            service_id = rng.choice(list(services))
            members = [a for a in agent_ids if service_id in agents[a].service_ids]
            roll = rng.random()
            resolved = roll < 0.3
            owner_id = None if (roll > 0.75 or not members) else rng.choice(members)
            age = (
                timedelta(days=rng.randint(10, 85)) if resolved else timedelta(hours=rng.randint(2, 14 * 24))
            )
            make_thread(
                contact,
                service_id,
                owner_id,
                read=rng.random() < 0.55,
                resolved=resolved,
                age=age,
                turns=rng.randint(1, 8),
            )

        # Transactional (template) sends without a thread: reminders to demo numbers and others.
        targets = [contacts[c.phone] for c in d.customers] + rng.sample(
            others, min(len(others), 30 * self.volume)
        )
        for contact in targets:
            template_text = "Your payment is due soon. Reply HELP for help."
            messages.append(
                LvMessage(
                    id=self.lv_id(rng),
                    thread_id=None,
                    account=contact.account,
                    phone=contact.lv_phone,
                    sms_code=d.sender_code,
                    message=template_text,
                    date=_at(rng, now, timedelta(days=60), timedelta(days=3)),
                    status="SMS MT Delivered",
                    direction=2,
                    service_id=d.service_id,
                    template_id=75959,
                )
            )
        messages.sort(key=lambda m: (m.date, m.id))
        return threads, messages

    def _fill(
        self, rng: random.Random, text: str, contact: Contact, agent: Agent | None, service: str
    ) -> str:
        return text.format(
            first=contact.first_name,
            agent=(agent.name.split()[0] if agent else "the team"),
            service=service,
            amount=f"{contact.payment_balance:.2f}",
            due=contact.account_due_date,
            account=contact.account,
            code=rng.randint(100000, 999999),
        )

    # ---- Zoom Contact Center ---------------------------------------------------------------------

    def _cc_sms(
        self, agents: dict[int, Agent], queues: dict[str, Queue], contacts: dict[str, Contact]
    ) -> list[CcSmsLog]:
        rng = _mix(self.seed, "cc-sms")
        d = self.demo
        now = self.now
        agent_list = list(agents.values())
        queue_list = list(queues.values())
        logs: list[CcSmsLog] = []

        def make(contact: Contact, start: datetime, queue: Queue, agent_pick: list[Agent]) -> None:
            direction = "inbound" if rng.random() < 0.65 else "outbound"
            sent = rng.randint(1, 8)
            received = rng.randint(0 if direction == "outbound" else 1, 6)
            mms = rng.random() < 0.15
            logs.append(
                CcSmsLog(
                    engagement_id=_zoom_id(rng),
                    direction=direction,
                    contact_center_number=queue.number,
                    start_time=start,
                    end_time=start + timedelta(minutes=rng.randint(2, 90), seconds=rng.randint(0, 59)),
                    consumer_number=contact.phone,
                    consumer_display_name=contact.name,
                    queues=[queue],
                    agents=agent_pick,
                    country_iso=contact.country_iso,
                    country_name=_COUNTRY_NAMES[contact.country_iso],
                    sms_types=["sms", "mms"] if mms else ["sms"],
                    total_sent_messages=sent,
                    total_received_messages=received,
                    total_sent_files=rng.randint(0, 2) if mms else 0,
                    total_received_files=rng.randint(0, 2) if mms else 0,
                )
            )

        demo_agent = agents[d.agent_id]
        demo_queue = queues[d.zoom_queue_id]
        for customer in d.customers:
            contact = contacts[customer.phone]
            # One inside the default 24-hour window, the rest spread over ~90 days.
            make(contact, now - timedelta(hours=rng.randint(2, 20)), demo_queue, [demo_agent])
            for _ in range(5):
                make(contact, _at(rng, now, timedelta(days=88), timedelta(days=1)), demo_queue, [demo_agent])
        others = [c for c in contacts.values() if d.customer(c.phone) is None]
        for _ in range(400 * self.volume):
            contact = rng.choice(others)
            picked = rng.sample(agent_list, rng.choice([1, 1, 1, 2]))
            make(
                contact,
                _at(rng, now, timedelta(days=90), timedelta(minutes=30)),
                rng.choice(queue_list),
                picked,
            )
        # The busy month: `make` reads `rng` from this scope, so rebinding it draws these from their own RNG
        # (the engagements above stay what they were without a busy month).
        rng = _mix(self.seed, "cc-sms-month")
        for _ in range(self.month_sms):
            make(
                rng.choice(others),
                _at(rng, now, MONTH, timedelta(minutes=30)),
                rng.choice(queue_list),
                rng.sample(agent_list, rng.choice([1, 1, 1, 2])),
            )
        logs.sort(key=lambda s: (s.start_time, s.engagement_id), reverse=True)
        return logs

    def _voice_calls(
        self,
        agents: dict[int, Agent],
        queues: dict[str, Queue],
        flows: list[Flow],
        contacts: dict[str, Contact],
    ) -> list[VoiceCall]:
        rng = _mix(self.seed, "voice")
        d = self.demo
        now = self.now
        agent_list = list(agents.values())
        queue_list = list(queues.values())
        calls: list[VoiceCall] = []
        results = ["completed"] * 12 + [
            "short_abandoned",
            "long_abandoned",
            "hold_abandoned",
            "missed",
            "declined",
            "overflowed_to_inbox",
            "hang_up_calls",
            "short_calls",
        ]

        def make(contact: Contact, start: datetime, queue: Queue | None, agent_pick: list[Agent]) -> None:
            direction = "inbound" if rng.random() < 0.7 else "outbound"
            number = (
                queue.number if queue else agent_pick[0].zoom_phone_number if agent_pick else "+14155550180"
            )
            number_type = rng.choice(
                ["virtual_service_number", "virtual_service_number", "toll_free_number", "byoc_number"]
            )
            result = (
                rng.choice(results)
                if direction == "inbound"
                else rng.choice(["completed", "completed", "missed"])
            )
            talked = result in ("completed", "long_calls", "short_calls", "hang_up_calls")
            duration = rng.randint(30, 1800) if talked else rng.randint(3, 90)
            kind = rng.choice(["external_call"] * 8 + ["external_conference_call", "external_callback_call"])
            if direction == "inbound":
                caller, caller_type, callee, callee_type = contact.phone, None, number, number_type
            else:
                caller, caller_type, callee, callee_type = number, number_type, contact.phone, None
            minutes = max(1, (duration + 59) // 60)
            calls.append(
                VoiceCall(
                    engagement_id=_zoom_id(rng),
                    direction=direction,
                    call_legs=[direction] if rng.random() < 0.8 else [direction, "outbound"],
                    distributions=["acd"] if queue else ["non_acd"],
                    types=[kind],
                    caller_number=caller,
                    caller_number_type=caller_type,
                    callee_number=callee,
                    callee_number_type=callee_type,
                    start_time=start,
                    end_time=start + timedelta(seconds=duration),
                    total_duration=duration,
                    consumer_number=contact.phone,
                    consumer_display_name=contact.name,
                    queues=[queue] if queue else [],
                    agents=agent_pick if talked or direction == "outbound" else [],
                    flows=[rng.choice(flows)] if direction == "inbound" else [],
                    country_iso=contact.country_iso,
                    country_name=_COUNTRY_NAMES[contact.country_iso],
                    recorded=talked and rng.random() < 0.7,
                    monitored=rng.random() < 0.1,
                    inbox=result == "overflowed_to_inbox",
                    result=result,
                    caller_id=caller,
                    calling_party="consumer" if direction == "inbound" else "agent",
                    charge=f"${0.019 * minutes:.3f}",
                    rates=["$0.019"],
                    number_type=number_type,
                )
            )

        demo_agent = agents[d.agent_id]
        demo_queue = queues[d.zoom_queue_id]
        for customer in d.customers:
            contact = contacts[customer.phone]
            make(contact, now - timedelta(hours=rng.randint(1, 22)), demo_queue, [demo_agent])
            for _ in range(6):
                make(contact, _at(rng, now, timedelta(days=88), timedelta(days=1)), demo_queue, [demo_agent])
        others = [c for c in contacts.values() if d.customer(c.phone) is None]
        for _ in range(500 * self.volume):
            contact = rng.choice(others)
            queue = rng.choice(queue_list) if rng.random() < 0.85 else None
            picked = rng.sample(agent_list, 1)
            make(contact, _at(rng, now, timedelta(days=90), timedelta(minutes=30)), queue, picked)
        rng = _mix(self.seed, "voice-month")  # as for the SMS: the busy month's own RNG
        for _ in range(self.month_calls):
            queue = rng.choice(queue_list) if rng.random() < 0.85 else None
            make(
                rng.choice(others),
                _at(rng, now, MONTH, timedelta(minutes=30)),
                queue,
                rng.sample(agent_list, 1),
            )
        calls.sort(key=lambda c: (c.start_time, c.engagement_id), reverse=True)
        return calls

    # ---- Zoom Phone SMS --------------------------------------------------------------------------------

    def _phone(
        self, agents: dict[int, Agent], queues: dict[str, Queue], contacts: dict[str, Contact]
    ) -> dict[str, PhoneSmsSession]:
        rng = _mix(self.seed, "phone")
        d = self.demo
        now = self.now
        sessions: dict[str, PhoneSmsSession] = {}

        def make(
            owner: PhoneParty, session_type: str, contact: Contact, oldest: timedelta, turns: int
        ) -> None:
            other = PhoneParty(contact.phone.lstrip("+"), None, None, None)
            session = PhoneSmsSession(rng.randbytes(16).hex(), session_type, owner, [other], [])
            moment = now - oldest
            for turn in range(turns):
                moment += timedelta(minutes=rng.randint(1, 600))
                if moment > now - timedelta(minutes=2):
                    moment = now - timedelta(minutes=2 + turns - turn)
                inbound = turn % 2 == 0
                mms = rng.random() < 0.12
                attachments: list[dict[str, Any]] = []
                if mms:
                    file_id = _zoom_id(rng)
                    attachments.append(
                        {
                            "download_url": f"https://file.zoom.us/file/download/{file_id}",
                            "id": file_id,
                            "name": f"{_zoom_id(rng)}.jpg",
                            "size": rng.randint(20_000, 900_000),
                            "type": "JPG",
                        }
                    )
                if inbound:
                    text = rng.choice(_PHONE_TEXTS_IN)
                    sender, to, status = other, [owner], "received"
                else:
                    text = rng.choice(_PHONE_TEXTS_OUT).format(first=contact.first_name)
                    sender, to = owner, [other]
                    status = rng.choice(["delivered"] * 9 + ["sent", "failed_to_deliver"])
                session.messages.append(
                    PhoneSmsMessage(
                        message_id=f"IQ-{_zoom_id(rng)}",
                        date_time=moment,
                        direction="In" if inbound else "Out",
                        message=text,
                        message_type=2 if mms else 1,
                        delivery_status=status,
                        sender=sender,
                        to_members=to,
                        attachments=attachments,
                    )
                )
            sessions[session.session_id] = session

        def user_party(agent: Agent) -> PhoneParty:
            return PhoneParty(agent.zoom_phone_number.lstrip("+"), agent.name, agent.zoom_user_id, "user")

        demo_agent = agents[d.agent_id]
        for customer in d.customers:
            make(user_party(demo_agent), "user", contacts[customer.phone], timedelta(days=12), 8)
        make(
            user_party(agents[d.transfer_agent_id]),
            "user",
            contacts[d.customers[0].phone],
            timedelta(days=50),
            4,
        )
        demo_queue = queues[d.zoom_queue_id]
        queue_party = PhoneParty(
            demo_queue.number.lstrip("+"), demo_queue.name, demo_queue.queue_id, "callQueue"
        )
        make(queue_party, "call_queue", contacts[d.customers[1].phone], timedelta(days=6), 3)
        others = [c for c in contacts.values() if d.customer(c.phone) is None]
        agent_list = list(agents.values())
        for _ in range(40 * self.volume):
            contact = rng.choice(others)
            if rng.random() < 0.15:
                q = rng.choice(list(queues.values()))
                owner = PhoneParty(q.number.lstrip("+"), q.name, q.queue_id, "callQueue")
                kind = "call_queue"
            else:
                owner = user_party(rng.choice(agent_list))
                kind = "user"
            make(owner, kind, contact, timedelta(days=rng.randint(1, 75)), rng.randint(1, 12))
        self._phone_stop(user_party(demo_agent), sessions)
        return sessions

    def _phone_stop(self, owner: PhoneParty, sessions: dict[str, PhoneSmsSession]) -> None:
        """The demo number that texted STOP in Zoom Phone only (its own random stream: the rest of the
        world is the same as without it)."""
        rng = _mix(self.seed, "phone-stop")
        other = PhoneParty(self.demo.phone_stop_number.lstrip("+"), None, None, None)
        session = PhoneSmsSession(rng.randbytes(16).hex(), "user", owner, [other], [])
        sent = self.now - timedelta(days=3, hours=2)
        turns = [
            (sent, "Out", "Hi, this is Jordan from Customer Care about your appointment.", owner, [other]),
            (sent + timedelta(minutes=7), "In", "STOP", other, [owner]),
        ]
        for at, direction, text, sender, to in turns:
            session.messages.append(
                PhoneSmsMessage(
                    message_id=f"IQ-{_zoom_id(rng)}",
                    date_time=at,
                    direction=direction,
                    message=text,
                    message_type=1,
                    delivery_status="received" if direction == "In" else "delivered",
                    sender=sender,
                    to_members=to,
                    attachments=[],
                )
            )
        sessions[session.session_id] = session

    # ---- Routee ---------------------------------------------------------------------------------------

    def _routee(self, contacts: dict[str, Contact]) -> tuple[dict[str, str], list[RouteeMessage]]:
        rng = _mix(self.seed, "routee")
        d = self.demo
        now = self.now
        campaigns = {d.routee_campaign_id: d.routee_campaign_name}
        for name in ("Appointment confirmations", "Card expiry notices"):
            campaigns[_uuid(rng)] = name
        campaign_ids = list(campaigns)
        messages: list[RouteeMessage] = []

        def make(
            contact: Contact, created: datetime, *, inbound: bool = False, campaign: str | None = None
        ) -> None:
            body = self._fill(rng, rng.choice(_ROUTEE_TEXTS), contact, None, "")
            reply = rng.choice(["STOP", "YES", "C", "Thanks"])
            if inbound and d.customer(contact.phone) is not None:
                reply = "Thanks"  # the demo numbers' compliance is what their notes say, whatever the seed
            if rng.random() < 0.1:
                body = (
                    body
                    + " "
                    + "Please keep this message for your records and contact us with any questions."
                )
            roll = rng.random()
            if inbound or roll < 0.84:
                final, detailed = "Delivered", "Delivered"
            elif roll < 0.95:
                final, detailed = "Undelivered", rng.choice(UNDELIVERED_REASONS)
            else:
                final, detailed = "Failed", "Failed"
            parts = 1 if len(body) <= 160 else (len(body) + 152) // 153
            messages.append(
                RouteeMessage(
                    message_id=_uuid(rng),
                    sms_ids=[_uuid(rng) for _ in range(parts)],
                    created_at=created,
                    sender=contact.phone
                    if inbound
                    else rng.choice([d.routee_sender, d.routee_sender, "14155550151"]),
                    to=d.sender_code if inbound else contact.phone,
                    body=reply if inbound else body,
                    label=rng.choice([None, None, "reminder", "otp", "billing"]),
                    campaign_name=campaigns[campaign] if campaign else None,
                    campaign_tracking_id=campaign,
                    country=contact.country_iso,
                    operator=contact.operator,
                    direction="Inbound" if inbound else "Outbound",
                    price_per_part=_ROUTEE_PRICE[contact.country_iso],
                    application_name="Switchboard Sandbox",
                    final_status=final,
                    detailed_status=detailed,
                    sent_after=timedelta(seconds=rng.randint(1, 5)),
                    final_after=timedelta(seconds=rng.randint(6, 120)),
                )
            )

        week = timedelta(days=7) - timedelta(hours=1)
        for customer in d.customers:
            contact = contacts[customer.phone]
            for index in range(6):
                campaign = d.routee_campaign_id if index == 0 else None
                make(contact, _at(rng, now, week, timedelta(minutes=30)), campaign=campaign)
            make(contact, _at(rng, now, week, timedelta(minutes=30)), inbound=True)
        others = [c for c in contacts.values() if d.customer(c.phone) is None]
        for _ in range(200 * self.volume):
            contact = rng.choice(others)
            campaign = rng.choice(campaign_ids) if rng.random() < 0.3 else None
            make(
                contact,
                _at(rng, now, week, timedelta(minutes=10)),
                inbound=rng.random() < 0.05,
                campaign=campaign,
            )
        messages.sort(key=lambda m: (m.created_at, m.message_id))
        return campaigns, messages
