"""Deterministic, realistic xAPI 1.0.3 traffic for one organisation.

Everything comes from ``random.Random(seed)``: the same seed gives the same
organisation and the same statement stream, byte for byte, on any machine. The
stream is a simulation of people using an LMS over weeks of (past) time:

* learners (mbox, mbox_sha1sum or account identities), instructors, teams (Groups);
* cmi5-like courses made of modules (blocks) of lessons (assignable units), each
  session ``launched`` -> ``initialized`` -> ``experienced`` pages -> quiz
  (``attempted``, ``answered`` interactions of every type, ``passed``/``failed``
  with a score) -> ``completed`` -> ``terminated`` with a duration, all sharing a
  registration (one UUID per enrolment attempt) and a session id;
* videos (ADL video profile: ``initialized``, ``played``, ``paused``, ``seeked``,
  ``progressed`` with progress/time extensions, ``completed``, ``terminated``);
* course completions with a certificate attachment given by ``fileUrl``;
* comments and shares between colleagues (StatementRef objects), instructors
  mentoring learners (Agent objects), and a few voiding statements by an
  administrator.

The stream is a prefix family: ``generate(seed, n)`` is the first ``n``
statements of ``generate(seed, m)`` for any ``m >= n``, so a benchmark can preload
``P`` statements and then send the following ones without any id collision.

Public API: :func:`generate`, :class:`Organisation`,
:class:`TrafficGenerator` (with its :class:`Catalog` of what the stream used, for
building realistic queries) and :func:`state_document`.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

ORG_DOMAIN = "acme-learning.example"
LMS = f"https://lms.{ORG_DOMAIN}"
CONTENT = f"https://content.{ORG_DOMAIN}"
SSO = f"https://sso.{ORG_DOMAIN}"
FILES = f"https://files.{ORG_DOMAIN}"
EXT = f"{LMS}/xapi/extensions"

# Where simulated time starts; the stream moves forward about 12 s per statement
# on average, so even 10 million statements stay years in the past.
EPOCH = datetime(2023, 9, 4, 7, 30, tzinfo=UTC)

DEFAULT_LEARNERS = 2000


def _verb(iri: str, display: str) -> dict[str, Any]:
    return {"id": iri, "display": {"en-US": display}}


ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, dict[str, Any]] = {
    "launched": _verb(ADL + "launched", "launched"),
    "initialized": _verb(ADL + "initialized", "initialized"),
    "attempted": _verb(ADL + "attempted", "attempted"),
    "experienced": _verb(ADL + "experienced", "experienced"),
    "answered": _verb(ADL + "answered", "answered"),
    "passed": _verb(ADL + "passed", "passed"),
    "failed": _verb(ADL + "failed", "failed"),
    "completed": _verb(ADL + "completed", "completed"),
    "terminated": _verb(ADL + "terminated", "terminated"),
    "progressed": _verb(ADL + "progressed", "progressed"),
    "commented": _verb(ADL + "commented", "commented"),
    "shared": _verb(ADL + "shared", "shared"),
    "voided": _verb(ADL + "voided", "voided"),
    "registered": _verb(ADL + "registered", "registered"),
    "played": _verb("https://w3id.org/xapi/video/verbs/played", "played"),
    "paused": _verb("https://w3id.org/xapi/video/verbs/paused", "paused"),
    "seeked": _verb("https://w3id.org/xapi/video/verbs/seeked", "seeked"),
    "mentored": _verb("http://id.tincanapi.com/verb/mentored", "mentored"),
}

ACT = "http://adlnet.gov/expapi/activities/"
T_COURSE = ACT + "course"
T_MODULE = ACT + "module"
T_LESSON = ACT + "lesson"
T_ASSESSMENT = ACT + "assessment"
T_INTERACTION = ACT + "cmi.interaction"
T_MEDIA = ACT + "media"
T_VIDEO = "https://w3id.org/xapi/video/activity-type/video"

CMI5_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
MOVEON_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}
VIDEO_CATEGORY = {"id": "https://w3id.org/xapi/video"}
CMI5_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5_MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
CMI5_LAUNCHMODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
CMI5_LAUNCHURL = "https://w3id.org/xapi/cmi5/context/extensions/launchurl"
CMI5_MOVEON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
CMI5_LAUNCHPARAMS = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters"
VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"

FIRST_NAMES = (
    "Ada",
    "Bruno",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Inès",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoé",
    "Aiko",
    "Björn",
    "Carmen",
    "Diego",
)
LAST_NAMES = (
    "Adams",
    "Bauer",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lefèvre",
    "Müller",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Van Dijk",
    "Wójcik",
    "Xu",
    "Yilmaz",
    "Zhang",
)
DEPARTMENTS = ("Sales", "Support", "Engineering", "Finance", "Operations", "HR", "Legal")
REGIONS = ("North", "South", "East", "West", "Central")
COURSE_TOPICS = (
    ("information-security", "Information Security Essentials", "Sécurité de l'information"),
    ("data-protection", "Data Protection and Privacy", "Protection des données"),
    ("workplace-safety", "Workplace Health and Safety", "Santé et sécurité au travail"),
    ("anti-bribery", "Anti-Bribery and Corruption", "Lutte contre la corruption"),
    ("customer-care", "Customer Care Fundamentals", "Les fondamentaux du service client"),
    ("negotiation", "Negotiation Skills", "Techniques de négociation"),
    ("leadership-101", "Leading Your First Team", "Diriger sa première équipe"),
    ("python-basics", "Python for Analysts", "Python pour les analystes"),
    ("sql-reporting", "SQL for Reporting", "SQL pour le reporting"),
    ("product-launch", "Product Launch: Spring Range", "Lancement produit : gamme printemps"),
    ("forklift", "Forklift Operator Refresher", "Recyclage cariste"),
    ("first-aid", "First Aid at Work", "Premiers secours au travail"),
    ("diversity", "Inclusion and Diversity", "Inclusion et diversité"),
    ("finance-basics", "Finance for Non-Financial Managers", "La finance pour non-financiers"),
)
COMMENTS = (
    "Great job, congratulations!",
    "Well done — that quiz was tough.",
    "Thanks for sharing, I'll take this one next week.",
    "Nice score! Any tips for module 3?",
    "Bravo !",
    "Looks useful for our onboarding.",
    "Can we discuss the negotiation part in our next 1:1?",
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)


# ---------------------------------------------------------------------------
# Small deterministic helpers
# ---------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _slug(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _duration(seconds: float) -> str:
    """ISO 8601 duration with at most 0.01 s precision (xAPI Data 4.6)."""
    seconds = max(0.0, round(seconds, 2))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    secs = round(secs, 2)
    text += f"{secs:g}S" if secs != int(secs) else f"{int(secs)}S"
    return text


def _lang(en: str, fr: str | None = None, de: str | None = None) -> dict[str, str]:
    out = {"en-US": en}
    if fr:
        out["fr-FR"] = fr
    if de:
        out["de-DE"] = de
    return out


# ---------------------------------------------------------------------------
# The organisation
# ---------------------------------------------------------------------------


@dataclass
class Person:
    index: int
    agent: dict[str, Any]
    department: str
    team: int


@dataclass
class Question:
    activity: dict[str, Any]
    kind: str
    correct: str
    wrong: list[str]


@dataclass
class Lesson:
    activity: dict[str, Any]
    pages: list[dict[str, Any]]
    quiz: dict[str, Any] | None
    questions: list[Question]
    mastery: float
    video: dict[str, Any] | None
    video_length: float


@dataclass
class Module:
    activity: dict[str, Any]
    lessons: list[Lesson]


@dataclass
class Course:
    index: int
    slug: str
    activity: dict[str, Any]
    modules: list[Module]
    instructor: int


def _definition(
    name: dict[str, str], type_: str, description: dict[str, str] | None = None, **more: Any
) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": name, "type": type_}
    if description:
        definition["description"] = description
    definition.update(more)
    return definition


def _activity(iri: str, definition: dict[str, Any]) -> dict[str, Any]:
    return {"objectType": "Activity", "id": iri, "definition": definition}


def _ref(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity as it appears in contextActivities: id only (as most content sends)."""
    return {"id": activity["id"]}


def _question(rng: random.Random, base: str, n: int, topic: str) -> Question:
    kind = rng.choice(
        (
            "choice",
            "choice",
            "choice",
            "true-false",
            "true-false",
            "fill-in",
            "matching",
            "numeric",
            "likert",
            "sequencing",
            "long-fill-in",
            "other",
        )
    )
    iri = f"{base}/q{n}"
    name = _lang(f"{topic}: question {n}", f"{topic} : question {n}")
    desc = _lang(f"Question {n} of the {topic} check")
    extra: dict[str, Any] = {"interactionType": kind}
    if kind == "choice":
        ids = ["a", "b", "c", "d"]
        extra["choices"] = [{"id": i, "description": _lang(f"Option {i.upper()}")} for i in ids]
        correct = rng.choice(ids)
        if rng.random() < 0.25:
            other = rng.choice([i for i in ids if i != correct])
            correct = "[,]".join(sorted((correct, other)))
        wrong = [i for i in ids if i not in correct.split("[,]")]
    elif kind == "true-false":
        correct = rng.choice(("true", "false"))
        wrong = ["false" if correct == "true" else "true"]
    elif kind == "fill-in":
        word = rng.choice(("phishing", "encryption", "escalation", "consent", "audit"))
        extra["correctResponsesPattern"] = [f"{{case_matters=false}}{word}"]
        correct, wrong = word, ["password", "firewall", "I don't know"]
    elif kind == "long-fill-in":
        correct = "Report it to the security team and do not click the link"
        wrong = ["Ignore it", "Forward it to colleagues"]
        extra["correctResponsesPattern"] = [f"{{lang=en}}{correct}"]
    elif kind == "matching":
        extra["source"] = [{"id": s, "description": _lang(f"Term {s}")} for s in ("1", "2", "3")]
        extra["target"] = [
            {"id": t, "description": _lang(f"Definition {t}")} for t in ("a", "b", "c")
        ]
        correct = "1[.]a[,]2[.]c[,]3[.]b"
        wrong = ["1[.]b[,]2[.]a[,]3[.]c", "1[.]a[,]2[.]b[,]3[.]c"]
    elif kind == "numeric":
        low = rng.randint(1, 20)
        extra["correctResponsesPattern"] = [f"{low}[:]{low + 2}"]
        correct, wrong = str(low + 1), [str(low + 7), str(max(0, low - 5))]
    elif kind == "likert":
        extra["scale"] = [
            {"id": f"likert_{i}", "description": _lang(label)}
            for i, label in enumerate(
                ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")
            )
        ]
        correct, wrong = "", [f"likert_{i}" for i in range(5)]
    elif kind == "sequencing":
        extra["choices"] = [
            {"id": s, "description": _lang(f"Step {s}")} for s in ("plan", "do", "check", "act")
        ]
        correct = "plan[,]do[,]check[,]act"
        wrong = ["do[,]plan[,]check[,]act", "plan[,]check[,]do[,]act"]
    else:  # other
        correct, wrong = "(35.937432,-86.868896)", ["(0,0)"]
    if kind in ("choice", "true-false", "matching", "sequencing", "other"):
        extra["correctResponsesPattern"] = [correct]
    activity = _activity(iri, _definition(name, T_INTERACTION, desc, **extra))
    return Question(activity=activity, kind=kind, correct=correct, wrong=wrong)


class Organisation:
    """People, teams and courses of one (fictional) company, fixed by the seed."""

    def __init__(self, seed: int, learners: int = DEFAULT_LEARNERS) -> None:
        rng = random.Random(f"org:{seed}")
        self.seed = seed
        n_teams = max(4, learners // 25)
        self.teams: list[dict[str, Any]] = []
        for t in range(n_teams):
            dept = DEPARTMENTS[t % len(DEPARTMENTS)]
            region = REGIONS[(t // len(DEPARTMENTS)) % len(REGIONS)]
            label = f"{dept} {region} {t // (len(DEPARTMENTS) * len(REGIONS)) + 1}"
            self.teams.append(
                {
                    "objectType": "Group",
                    "name": f"Team {label}",
                    "account": {"homePage": LMS, "name": f"team-{_slug(label)}"},
                }
            )
        self.learners = [self._person(rng, i, n_teams, "learner") for i in range(learners)]
        self.instructors = [
            self._person(rng, i, n_teams, "instructor") for i in range(max(3, learners // 100))
        ]
        self.admin = {
            "objectType": "Agent",
            "name": "LMS administrator",
            "account": {"homePage": LMS, "name": "system-admin"},
        }
        self.courses = [self._course(rng, i, topic) for i, topic in enumerate(COURSE_TOPICS)]
        self.team_members: list[list[int]] = [[] for _ in range(n_teams)]
        for person in self.learners:
            self.team_members[person.team].append(person.index)
        # Zipf-like activity levels: a few learners send much more than others.
        self.learner_weights = [1.0 / (1 + (i % 97)) ** 0.6 for i in range(learners)]
        self._cum_learner = _cumulative(self.learner_weights)
        self.course_weights = [1.0 / (1 + i) ** 0.8 for i in range(len(self.courses))]
        self._cum_course = _cumulative(self.course_weights)

    # -- construction --------------------------------------------------------

    def _person(self, rng: random.Random, i: int, n_teams: int, role: str) -> Person:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        local = f"{_slug(first)}.{_slug(last)}.{role[0]}{i}"
        style = rng.random()
        agent: dict[str, Any]
        if role == "instructor" or style < 0.55:
            agent = {"objectType": "Agent", "name": name, "mbox": f"mailto:{local}@{ORG_DOMAIN}"}
        elif style < 0.9:
            agent = {
                "objectType": "Agent",
                "name": name,
                "account": {"homePage": SSO, "name": f"{role[0]}{100000 + i}"},
            }
        else:
            digest = hashlib.sha1(f"mailto:{local}@{ORG_DOMAIN}".encode()).hexdigest()
            agent = {"objectType": "Agent", "mbox_sha1sum": digest}
        if rng.random() < 0.3:  # plenty of content omits objectType on the actor
            agent = {k: v for k, v in agent.items() if k != "objectType"}
        return Person(i, agent, DEPARTMENTS[i % len(DEPARTMENTS)], rng.randrange(n_teams))

    def _course(self, rng: random.Random, i: int, topic: tuple[str, str, str]) -> Course:
        slug, title_en, title_fr = topic
        base = f"{LMS}/courses/{slug}"
        course = _activity(
            base,
            _definition(
                _lang(title_en, title_fr),
                T_COURSE,
                _lang(f"Mandatory and elective training: {title_en}."),
                moreInfo=f"{LMS}/catalog/{slug}",
            ),
        )
        modules = []
        for m in range(1, rng.randint(2, 4) + 1):
            m_iri = f"{base}/modules/{m}"
            module = _activity(
                m_iri,
                _definition(
                    _lang(f"{title_en} — module {m}", f"{title_fr} — module {m}"), T_MODULE
                ),
            )
            lessons = []
            for lesson_no in range(1, rng.randint(1, 3) + 1):
                l_base = f"{CONTENT}/{slug}/m{m}/lesson{lesson_no}"
                lesson = _activity(
                    f"{l_base}/index.html",
                    _definition(
                        _lang(
                            f"Lesson {m}.{lesson_no}: {title_en}",
                            f"Leçon {m}.{lesson_no} : {title_fr}",
                        ),
                        T_LESSON,
                        _lang(f"Assignable unit {m}.{lesson_no} of {title_en}"),
                    ),
                )
                pages = [
                    _activity(
                        f"{l_base}/slides/{p}",
                        _definition(
                            _lang(f"Slide {p}"), "http://id.tincanapi.com/activitytype/slide"
                        ),
                    )
                    for p in range(1, rng.randint(3, 8) + 1)
                ]
                quiz = None
                questions: list[Question] = []
                if rng.random() < 0.7:
                    quiz = _activity(
                        f"{l_base}/quiz",
                        _definition(
                            _lang(
                                f"Knowledge check {m}.{lesson_no}",
                                f"Vérification des connaissances {m}.{lesson_no}",
                            ),
                            T_ASSESSMENT,
                        ),
                    )
                    questions = [
                        _question(rng, f"{l_base}/quiz", q, title_en)
                        for q in range(1, rng.randint(4, 10) + 1)
                    ]
                video = None
                length = 0.0
                if rng.random() < 0.5:
                    length = float(rng.randint(60, 1200))
                    video = _activity(
                        f"{CONTENT}/{slug}/m{m}/videos/{lesson_no}.mp4",
                        _definition(_lang(f"Video: {title_en} {m}.{lesson_no}"), T_VIDEO),
                    )
                lessons.append(
                    Lesson(
                        lesson, pages, quiz, questions, rng.choice((0.6, 0.7, 0.8)), video, length
                    )
                )
            modules.append(Module(module, lessons))
        return Course(i, slug, course, modules, i)

    # -- picking -------------------------------------------------------------

    def pick_learner(self, rng: random.Random) -> Person:
        return self.learners[_pick(self._cum_learner, rng)]

    def pick_course(self, rng: random.Random) -> Course:
        return self.courses[_pick(self._cum_course, rng)]


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(cumulative: list[float], rng: random.Random) -> int:
    import bisect

    return min(bisect.bisect_left(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def orjson_key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _ifi(agent: dict[str, Any]) -> dict[str, Any]:
    """The identifying part of an agent, as a query's ``agent`` parameter carries it."""
    for key in ("mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            return {"objectType": agent.get("objectType", "Agent"), key: agent[key]}
    raise ValueError("agent without an inverse functional identifier")


# ---------------------------------------------------------------------------
# The traffic
# ---------------------------------------------------------------------------


@dataclass
class Catalog:
    """What a stream actually used: material for realistic queries."""

    learners: list[dict[str, Any]] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    # Activities that appear as context parents/groupings (for related_activities).
    context_activities: list[str] = field(default_factory=list)
    registrations: list[str] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    statement_ids: list[str] = field(default_factory=list)
    first_timestamp: str = ""
    last_timestamp: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "learners": self.learners,
            "activities": self.activities,
            "context_activities": self.context_activities,
            "registrations": self.registrations,
            "verbs": self.verbs,
            "teams": self.teams,
            "statement_ids": self.statement_ids,
            "first_timestamp": self.first_timestamp,
            "last_timestamp": self.last_timestamp,
        }


@dataclass
class _Enrolment:
    registration: str
    course: Course
    next_module: int = 0
    next_lesson: int = 0
    attempt: int = 1
    done: bool = False
    completion_id: str | None = None


class TrafficGenerator:
    """An endless, deterministic stream of statements (see the module docstring)."""

    # Keep this many recent statement ids per kind for comments, shares and voids.
    RECENT = 512

    def __init__(self, seed: int, learners: int = DEFAULT_LEARNERS) -> None:
        self.seed = seed
        self.org = Organisation(seed, learners)
        self.rng = random.Random(f"traffic:{seed}")
        self.clock = EPOCH
        self.count = 0
        self._enrolments: dict[tuple[int, int], _Enrolment] = {}
        self._active: dict[int, list[_Enrolment]] = {}
        self._recent_achievements: list[tuple[str, int]] = []  # (statement id, learner)
        self._voidable: list[tuple[str, int]] = []  # (statement id, stream index)
        self._voided: set[str] = set()
        self._seen_learners: dict[bytes, dict[str, Any]] = {}
        self._seen_registrations: list[str] = []
        self._seen_reg_set: set[str] = set()
        self._seen_activities: dict[str, None] = {}
        self._seen_context: dict[str, None] = {}
        self._seen_verbs: dict[str, None] = {}
        self._seen_teams: dict[str, dict[str, Any]] = {}
        self._ids: list[str] = []
        self._first_ts = ""
        self._last_ts = ""
        self.track_ids = False

    # -- public --------------------------------------------------------------

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            for stmt in self._session():
                self._observe(stmt)
                yield stmt

    def _observe(self, stmt: dict[str, Any]) -> None:
        """Note what a statement handed out uses (the catalogue covers exactly those)."""
        actor = stmt["actor"]
        if actor is not self.org.admin:
            ifi = _ifi(actor)
            self._seen_learners.setdefault(orjson_key(ifi), ifi)
        obj = stmt["object"]
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            self._seen_activities[obj["id"]] = None
        elif kind == "Agent":
            ifi = _ifi(obj)
            self._seen_learners.setdefault(orjson_key(ifi), ifi)
        self._seen_verbs[stmt["verb"]["id"]] = None
        ctx = stmt.get("context")
        if ctx:
            reg = ctx.get("registration")
            if reg and reg not in self._seen_reg_set:
                self._seen_reg_set.add(reg)
                self._seen_registrations.append(reg)
            acts = ctx.get("contextActivities")
            if acts:
                for key in ("parent", "grouping"):
                    for act in acts.get(key, ()):
                        self._seen_context[act["id"]] = None
            team = ctx.get("team")
            if team:
                self._seen_teams[team["account"]["name"]] = team
        if not self._first_ts:
            self._first_ts = stmt["timestamp"]
        self._last_ts = stmt["timestamp"]
        if self.track_ids:
            self._ids.append(stmt["id"])

    def take(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        it = iter(self)
        while len(out) < n:
            out.append(next(it))
        return out

    def catalog(self, sample: int = 0) -> Catalog:
        """What the statements produced so far used (``sample`` > 0 caps each list)."""

        def cap(items: list[Any]) -> list[Any]:
            if not sample or len(items) <= sample:
                return list(items)
            step = len(items) / sample
            return [items[int(i * step)] for i in range(sample)]

        return Catalog(
            learners=cap(list(self._seen_learners.values())),
            activities=cap(list(self._seen_activities)),
            context_activities=cap(list(self._seen_context)),
            registrations=cap(self._seen_registrations),
            verbs=list(self._seen_verbs),
            teams=cap([_ifi(t) for t in self._seen_teams.values()]),
            statement_ids=cap(self._ids),
            first_timestamp=self._first_ts,
            last_timestamp=self._last_ts,
        )

    # -- machinery -----------------------------------------------------------

    def _tick(self, low: float, high: float) -> datetime:
        self.clock += timedelta(seconds=self.rng.uniform(low, high))
        return self.clock

    def _statement(
        self,
        actor: dict[str, Any],
        verb: str,
        obj: dict[str, Any],
        *,
        result: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        voidable: bool = True,
    ) -> dict[str, Any]:
        rng = self.rng
        stmt: dict[str, Any] = {
            "id": _uuid(rng),
            "actor": actor,
            "verb": VERBS[verb],
            "object": obj,
        }
        if result:
            stmt["result"] = result
        if context:
            stmt["context"] = context
        stmt["timestamp"] = _timestamp(self.clock)
        if attachments:
            stmt["attachments"] = attachments
        self.count += 1
        if voidable:
            self._voidable.append((stmt["id"], self.count))
            if len(self._voidable) > self.RECENT * 4:
                del self._voidable[: self.RECENT]
        return stmt

    def _learner_actor(self, person: Person) -> dict[str, Any]:
        return person.agent

    def _context(
        self,
        enrolment: _Enrolment | None,
        person: Person,
        parents: list[dict[str, Any]],
        grouping: list[dict[str, Any]],
        categories: list[dict[str, Any]],
        extensions: dict[str, Any] | None = None,
        *,
        activity_object: bool = True,
        instructor: bool = False,
    ) -> dict[str, Any]:
        ctx: dict[str, Any] = {}
        if enrolment is not None:
            ctx["registration"] = enrolment.registration
        acts: dict[str, Any] = {}
        if parents:
            acts["parent"] = [_ref(a) for a in parents]
        if grouping:
            acts["grouping"] = [_ref(a) for a in grouping]
        if categories:
            acts["category"] = categories
        if acts:
            ctx["contextActivities"] = acts
        if instructor:
            course = enrolment.course if enrolment else None
            idx = course.index % len(self.org.instructors) if course else 0
            ctx["instructor"] = self.org.instructors[idx].agent
        if self.rng.random() < 0.15:
            ctx["team"] = self.org.teams[person.team]
        if activity_object:
            ctx["platform"] = "Acme LMS"
            ctx["revision"] = "2024.1"
        ctx["language"] = "en-US"
        if extensions:
            ctx["extensions"] = extensions
        return ctx

    def _session(self) -> list[dict[str, Any]]:
        # Sessions start 0-2 minutes apart: a busy organisation, months of traffic.
        self._tick(1, 120)
        roll = self.rng.random()
        if roll < 0.60:
            return self._course_session()
        if roll < 0.85:
            return self._video_session()
        if roll < 0.97:
            return self._social()
        return self._void()

    def _enrolment(self, person: Person) -> _Enrolment:
        # Learners mostly carry on with a course they have started.
        active = self._active.get(person.index)
        if active and self.rng.random() < 0.85:
            enrolment = self.rng.choice(active)
            if not enrolment.done or self.rng.random() < 0.2:
                return enrolment
        course = self.org.pick_course(self.rng)
        key = (person.index, course.index)
        known = self._enrolments.get(key)
        if known is not None and not (known.done and self.rng.random() < 0.3):
            return known
        enrolment = _Enrolment(_uuid(self.rng), course, attempt=known.attempt + 1 if known else 1)
        self._enrolments[key] = enrolment
        mine = self._active.setdefault(person.index, [])
        mine[:] = [e for e in mine if not e.done][-3:]
        mine.append(enrolment)
        return enrolment

    def _course_session(self) -> list[dict[str, Any]]:
        rng = self.rng
        person = self.org.pick_learner(rng)
        actor = self._learner_actor(person)
        enrolment = self._enrolment(person)
        course = enrolment.course
        out: list[dict[str, Any]] = []
        if enrolment.done:
            # A returning learner reviews a random lesson of a finished course.
            module = rng.choice(course.modules)
            lesson = rng.choice(module.lessons)
        else:
            module = course.modules[enrolment.next_module]
            lesson = module.lessons[enrolment.next_lesson]
        session_id = _uuid(rng)
        parents = [module.activity]
        grouping = [course.activity]
        cats = [CMI5_CATEGORY]

        def ctx(
            extra: dict[str, Any] | None = None,
            categories: list[dict[str, Any]] = cats,
            parent: list[dict[str, Any]] = parents,
            **kw: Any,
        ) -> dict[str, Any]:
            ext = {CMI5_SESSION: session_id}
            if extra:
                ext.update(extra)
            return self._context(enrolment, person, parent, grouping, categories, ext, **kw)

        started = self.clock
        out.append(
            self._statement(
                actor,
                "launched",
                lesson.activity,
                context=ctx(
                    {
                        CMI5_LAUNCHMODE: "Normal",
                        CMI5_LAUNCHURL: f"{lesson.activity['id']}?fetch=1",
                        CMI5_MOVEON: "CompletedOrPassed",
                        CMI5_LAUNCHPARAMS: '{"skin":"corporate"}',
                        CMI5_MASTERY: lesson.mastery,
                    },
                    instructor=rng.random() < 0.3,
                ),
            )
        )
        self._tick(0.5, 4)
        out.append(self._statement(actor, "initialized", lesson.activity, context=ctx()))
        for page in lesson.pages[: rng.randint(1, len(lesson.pages))]:
            self._tick(5, 90)
            out.append(
                self._statement(
                    actor,
                    "experienced",
                    page,
                    context=ctx(parent=[lesson.activity]),
                )
            )
        if lesson.video and rng.random() < 0.4:
            out.extend(self._video_events(person, lesson, enrolment, session_id, short=True))
        finished = True
        passed: bool | None = None
        if lesson.quiz and lesson.questions:
            self._tick(2, 10)
            out.append(
                self._statement(
                    actor, "attempted", lesson.quiz, context=ctx(parent=[lesson.activity])
                )
            )
            skill = rng.uniform(0.35, 1.0)
            correct = 0
            scored = 0
            answered = lesson.questions[: max(1, len(lesson.questions) - (rng.random() < 0.1))]
            for q in answered:
                took = rng.uniform(4, 75)
                self._tick(took, took + 2)
                if q.kind == "likert":
                    out.append(
                        self._statement(
                            actor,
                            "answered",
                            q.activity,
                            result={"response": rng.choice(q.wrong), "duration": _duration(took)},
                            context=ctx(parent=[lesson.quiz], categories=[CMI5_CATEGORY]),
                        )
                    )
                    continue
                ok = rng.random() < skill
                scored += 1
                correct += ok
                response = q.correct if ok else rng.choice(q.wrong)
                res: dict[str, Any] = {
                    "success": ok,
                    "response": response,
                    "duration": _duration(took),
                    "score": {"raw": 1 if ok else 0, "min": 0, "max": 1, "scaled": 1 if ok else 0},
                }
                out.append(
                    self._statement(
                        actor,
                        "answered",
                        q.activity,
                        result=res,
                        context=ctx(parent=[lesson.quiz], categories=[CMI5_CATEGORY]),
                    )
                )
            scaled = round(correct / scored, 4) if scored else 1.0
            passed = scaled >= lesson.mastery
            self._tick(1, 5)
            verdict = self._statement(
                actor,
                "passed" if passed else "failed",
                lesson.activity,
                result={
                    "success": passed,
                    "score": {"scaled": scaled, "raw": correct, "min": 0, "max": scored},
                    "duration": _duration((self.clock - started).total_seconds()),
                },
                context=ctx(categories=[CMI5_CATEGORY, MOVEON_CATEGORY]),
            )
            out.append(verdict)
            if passed and scaled >= 0.9:
                self._achieved(verdict["id"], person.index)
            finished = passed or rng.random() < 0.5
        elif rng.random() < 0.1:
            finished = False  # abandoned mid-way
        if finished:
            self._tick(1, 5)
            out.append(
                self._statement(
                    actor,
                    "completed",
                    lesson.activity,
                    result={
                        "completion": True,
                        "duration": _duration((self.clock - started).total_seconds()),
                    },
                    context=ctx(categories=[CMI5_CATEGORY, MOVEON_CATEGORY]),
                )
            )
        self._tick(0.5, 3)
        out.append(
            self._statement(
                actor,
                "terminated",
                lesson.activity,
                result={"duration": _duration((self.clock - started).total_seconds())},
                context=ctx(),
            )
        )
        if finished and not enrolment.done:
            enrolment.next_lesson += 1
            if enrolment.next_lesson >= len(module.lessons):
                enrolment.next_lesson = 0
                enrolment.next_module += 1
            if enrolment.next_module >= len(course.modules):
                enrolment.done = True
                out.append(self._course_completed(person, enrolment))
        return out

    def _course_completed(self, person: Person, enrolment: _Enrolment) -> dict[str, Any]:
        rng = self.rng
        course = enrolment.course
        self._tick(1, 30)
        cert_bytes = f"certificate:{self.seed}:{person.index}:{enrolment.registration}".encode()
        attachment = {
            "usageType": "http://id.tincanapi.com/attachment/certificate_of_completion",
            "display": _lang("Certificate of completion", "Certificat de réussite"),
            "description": _lang(f"{course.activity['definition']['name']['en-US']}"),
            "contentType": "application/pdf",
            "length": 40_000 + rng.randrange(20_000),
            "sha2": hashlib.sha256(cert_bytes).hexdigest(),
            "fileUrl": f"{FILES}/certificates/{enrolment.registration}.pdf",
        }
        stmt = self._statement(
            self._learner_actor(person),
            "completed",
            course.activity,
            result={
                "completion": True,
                "success": True,
                "score": {"scaled": round(rng.uniform(0.7, 1.0), 3)},
            },
            context=self._context(
                enrolment,
                person,
                [],
                [],
                [CMI5_CATEGORY],
                {f"{EXT}/department": person.department},
                instructor=True,
            ),
            attachments=[attachment],
        )
        enrolment.completion_id = stmt["id"]
        self._achieved(stmt["id"], person.index)
        return stmt

    def _achieved(self, statement_id: str, learner: int) -> None:
        self._recent_achievements.append((statement_id, learner))
        if len(self._recent_achievements) > self.RECENT:
            del self._recent_achievements[0]

    def _video_events(
        self,
        person: Person,
        lesson: Lesson,
        enrolment: _Enrolment | None,
        session_id: str,
        *,
        short: bool = False,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        actor = self._learner_actor(person)
        video = lesson.video
        assert video is not None
        length = lesson.video_length
        ua = rng.choice(USER_AGENTS)
        grouping = [enrolment.course.activity] if enrolment else []

        def ctx(extra: dict[str, Any] | None = None) -> dict[str, Any]:
            ext: dict[str, Any] = {
                VIDEO_EXT + "session-id": session_id,
                VIDEO_EXT + "length": length,
            }
            if extra:
                ext.update(extra)
            return self._context(
                enrolment, person, [lesson.activity], grouping, [VIDEO_CATEGORY], ext
            )

        out = [
            self._statement(
                actor,
                "initialized",
                video,
                context=ctx(
                    {
                        VIDEO_EXT + "user-agent": ua,
                        VIDEO_EXT + "completion-threshold": 0.95,
                        VIDEO_EXT + "speed": "1x",
                        VIDEO_EXT + "volume": 1,
                        VIDEO_EXT + "full-screen": False,
                    }
                ),
            )
        ]
        position = 0.0
        segments: list[str] = []
        watched = 0.0
        started = self.clock
        out.append(
            self._statement(
                actor,
                "played",
                video,
                result={"extensions": {VIDEO_EXT + "time": 0}},
                context=ctx(),
            )
        )
        target = length if rng.random() < 0.65 else length * rng.uniform(0.1, 0.9)
        steps = 2 if short else rng.randint(3, 8)
        for step in range(1, steps + 1):
            nxt = min(length, round(target * step / steps, 3))
            self._tick(max(1.0, nxt - position), max(1.5, nxt - position + 2))
            segments.append(f"{position:g}[.]{nxt:g}")
            watched += nxt - position
            position = nxt
            progress = round(min(1.0, watched / length), 3)
            out.append(
                self._statement(
                    actor,
                    "progressed",
                    video,
                    result={
                        "extensions": {
                            VIDEO_EXT + "time": position,
                            VIDEO_EXT + "progress": progress,
                            VIDEO_EXT + "played-segments": "[,]".join(segments),
                        },
                        "duration": _duration((self.clock - started).total_seconds()),
                    },
                    context=ctx(),
                )
            )
            if rng.random() < 0.15 and position < length:
                jump = round(min(length, position + rng.uniform(5, 60)), 3)
                out.append(
                    self._statement(
                        actor,
                        "seeked",
                        video,
                        result={
                            "extensions": {
                                VIDEO_EXT + "time-from": position,
                                VIDEO_EXT + "time-to": jump,
                            }
                        },
                        context=ctx(),
                    )
                )
                position = jump
        progress = round(min(1.0, watched / length), 3)
        out.append(
            self._statement(
                actor,
                "paused",
                video,
                result={
                    "extensions": {
                        VIDEO_EXT + "time": position,
                        VIDEO_EXT + "progress": progress,
                        VIDEO_EXT + "played-segments": "[,]".join(segments),
                    }
                },
                context=ctx(),
            )
        )
        if progress >= 0.95:
            out.append(
                self._statement(
                    actor,
                    "completed",
                    video,
                    result={
                        "completion": True,
                        "duration": _duration((self.clock - started).total_seconds()),
                        "extensions": {
                            VIDEO_EXT + "time": position,
                            VIDEO_EXT + "progress": 1,
                            VIDEO_EXT + "played-segments": "[,]".join(segments),
                        },
                    },
                    context=ctx({VIDEO_EXT + "completion-threshold": 0.95}),
                )
            )
        self._tick(0.5, 3)
        out.append(
            self._statement(
                actor,
                "terminated",
                video,
                result={
                    "duration": _duration((self.clock - started).total_seconds()),
                    "extensions": {VIDEO_EXT + "time": position, VIDEO_EXT + "progress": progress},
                },
                context=ctx(),
            )
        )
        return out

    def _video_session(self) -> list[dict[str, Any]]:
        rng = self.rng
        person = self.org.pick_learner(rng)
        for _ in range(8):
            course = self.org.pick_course(rng)
            lessons = [lesson for m in course.modules for lesson in m.lessons if lesson.video]
            if lessons:
                break
        else:
            return self._course_session()
        lesson = rng.choice(lessons)
        enrolment = self._enrolments.get((person.index, course.index))
        return self._video_events(person, lesson, enrolment, _uuid(rng))

    def _social(self) -> list[dict[str, Any]]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2 or not self._recent_achievements:
            # An instructor mentors a learner: the object is an Agent.
            instructor = rng.choice(self.org.instructors)
            learner = self.org.pick_learner(rng)
            self._learner_actor(learner)
            course = self.org.pick_course(rng)
            obj = dict(learner.agent)
            obj["objectType"] = "Agent"
            return [
                self._statement(
                    instructor.agent,
                    "mentored",
                    obj,
                    result={
                        "response": "Weekly coaching session",
                        "duration": _duration(rng.choice((900, 1800, 2700, 3600))),
                    },
                    context={
                        "contextActivities": {"grouping": [_ref(course.activity)]},
                        "language": "en-US",
                        "extensions": {f"{EXT}/meeting": rng.choice(("video", "onsite"))},
                    },
                )
            ]
        achievement, owner = rng.choice(self._recent_achievements)
        team = self.org.learners[owner].team
        mates = [i for i in self.org.team_members[team] if i != owner]
        colleague = self.org.learners[rng.choice(mates)] if mates else self.org.pick_learner(rng)
        actor = self._learner_actor(colleague)
        ref = {"objectType": "StatementRef", "id": achievement}
        if roll < 0.7:
            return [
                self._statement(
                    actor,
                    "commented",
                    ref,
                    result={"response": rng.choice(COMMENTS)},
                    context={
                        "language": "en-US",
                        "team": self.org.teams[self.org.learners[owner].team],
                    },
                )
            ]
        # The owner shares the achievement; the share says with whom.
        owner_p = self.org.learners[owner]
        return [
            self._statement(
                self._learner_actor(owner_p),
                "shared",
                ref,
                context={
                    "language": "en-US",
                    "extensions": {
                        f"{EXT}/shared-with": _ifi(colleague.agent),
                        f"{EXT}/channel": rng.choice(("email", "teams", "intranet")),
                    },
                },
            )
        ]

    def _void(self) -> list[dict[str, Any]]:
        # An administrator voids a statement recorded by mistake, long enough ago
        # that it is stored before the voiding statement arrives, even under
        # concurrent senders.
        candidates = [
            (sid, idx)
            for sid, idx in self._voidable[: -self.RECENT // 2 or None]
            if self.count - idx >= 200 and sid not in self._voided
        ]
        if not candidates:
            return self._social()
        target, _ = self.rng.choice(candidates)
        self._voided.add(target)
        return [
            self._statement(
                self.org.admin,
                "voided",
                {"objectType": "StatementRef", "id": target},
                voidable=False,
            )
        ]


def generate(
    seed: int, n_statements: int, learners: int = DEFAULT_LEARNERS
) -> list[dict[str, Any]]:
    """The first ``n_statements`` statements of the stream of ``seed``."""
    return TrafficGenerator(seed, learners).take(n_statements)


def state_document(rng: random.Random, lesson_iri: str) -> dict[str, Any]:
    """A cmi5/SCORM-like suspend-data document, as content keeps in the State API."""
    return {
        "bookmark": f"{lesson_iri}#slide-{rng.randint(1, 30)}",
        "suspendData": "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(64, 512))
        ),
        "progress": round(rng.random(), 3),
        "visited": sorted(rng.sample(range(1, 31), rng.randint(1, 10))),
        "preferences": {"language": "en-US", "audio": rng.choice(("on", "off")), "speed": 1},
    }


__all__ = [
    "VERBS",
    "Catalog",
    "Organisation",
    "TrafficGenerator",
    "generate",
    "state_document",
]
