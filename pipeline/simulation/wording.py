"""What simulated customers write and say: sentences composed from parts, by topic, mood,
attempt and style, so that no signal comes from one fixed template. Pure: no I/O.

Moods are ``CALM``, ``ANNOYED`` and ``ANGRY``. Churn talk is either explicit (phrases a
customer really uses, many of which the default rules list) or implicit (no listed phrase).
"""

from __future__ import annotations

import random

CALM, ANNOYED, ANGRY = "CALM", "ANNOYED", "ANGRY"
TOPICS = ("BILLING", "CONNECTIVITY", "APP", "DELIVERY", "ACCOUNT")
QUESTION = "QUESTION"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NAMES = ("Sam", "Priya", "Jonas", "Maria", "Tom", "Aisha", "Luca", "Mei", "Omar", "Jo")
_CITIES = ("Leeds", "Austin", "Lyon", "Porto", "Denver", "Cork", "Malmo", "Graz")

_ISSUES = {
    "BILLING": (
        "I was charged twice for {month}",
        "my bill went up by {amount} dollars without any notice",
        "there is a fee on my invoice that I never agreed to",
        "the discount I was promised is not on my bill",
        "my direct debit was taken two times this month",
        "I'm still being billed for the add-on I removed",
    ),
    "CONNECTIVITY": (
        "my internet drops every evening around {hour}",
        "the connection has been down since {day}",
        "the speed is a fraction of what I pay for",
        "the router keeps restarting itself",
        "I have had no signal at home for {n} days",
        "video calls freeze every few minutes",
    ),
    "APP": (
        "the app crashes every time I open the billing page",
        "I can't log in to the app since the last update",
        "the website shows an error when I try to pay",
        "the app logs me out every few minutes",
        "notifications in the app show someone else's usage",
    ),
    "DELIVERY": (
        "the replacement router you promised still hasn't arrived",
        "the technician didn't show up on {day}",
        "my order says delivered but nothing came",
        "I got the wrong SIM card in the post",
    ),
    "ACCOUNT": (
        "the password reset email never arrives",
        "my account was locked and I don't know why",
        "someone changed my plan without asking me",
        "my address is still the old one even though I updated it",
    ),
}
_QUESTIONS = (
    "could you tell me when my contract renews",
    "how do I add a second user to my account",
    "I'd like to update my billing address",
    "can I move my plan to a new address next month",
    "what's the difference between the two plans on your website",
    "is there a cheaper plan for people who travel a lot",
    "where do I find last month's invoice",
)
_FRAMES = {
    "VOICE": ("Yes hi, I'm calling because {issue}.", "Hello. {Issue}.", "Hi, so {issue}."),
    "EMAIL": ("I'm writing because {issue}.", "{Issue}.", "I need to report that {issue}."),
    "CHAT": ("hi, {issue}.", "{Issue}.", "Hello, {issue}."),
    "SOCIAL": ("@{brand} {issue}.", "Hey @{brand}, {issue}.", "{Issue}. Thanks @{brand}."),
}
_QUESTION_FRAMES = {
    "OTHER": ("{Ask}?", "Hi, {ask}?", "Quick question: {ask}?", "Hello, {ask}, please?"),
    "SOCIAL": ("@{brand} {ask}?", "Hey @{brand}, {ask}?"),
}
_REPEATS = (
    "This is the {ordinal} time I'm contacting you about this.",
    "I already got in touch about this {when} and nothing happened.",
    "Your colleague promised me a callback that never came.",
    "I keep explaining the same thing to a different person every time.",
    "Still not fixed after {n} contacts.",
    "Last time I was told it would be sorted within 48 hours.",
)
_FEELINGS = {
    CALM: (
        "Could you have a look, please?",
        "Thanks in advance for your help.",
        "Let me know if you need anything from me.",
        "I'd appreciate a quick fix.",
        "No rush, but I'd like it sorted.",
        "",
    ),
    ANNOYED: (
        "This is getting really frustrating.",
        "Honestly, I'm disappointed.",
        "I expected better than this.",
        "It's annoying to have to chase you for this.",
        "I'm not happy about this at all.",
        "Please just fix it, it's wasting my time.",
    ),
    ANGRY: (
        "This is completely unacceptable.",
        "Worst service I have ever had.",
        "I am absolutely fed up with this.",
        "Your support is useless.",
        "I'm furious, nobody takes any responsibility.",
        "This is a joke and a disgrace.",
    ),
}
# Phrases customers use when they talk of leaving. Many contain a phrase of the default
# rules; the simulator does not read the rules, so changing them changes no event.
_CHURN_EXPLICIT = (
    "I want to cancel my subscription.",
    "Please cancel my contract.",
    "I'm cancelling my account if this isn't fixed this week.",
    "Please close my account.",
    "I'd like to end my contract.",
    "I'm switching to another provider.",
    "I've found a better deal elsewhere.",
    "I'll be moving to another provider next month.",
    "I want my money back.",
    "I want a full refund.",
    "I'll file a chargeback with my bank.",
    "I'm going to dispute the charge.",
    "I'll be talking to my lawyer.",
    "I'm going to report you to the consumer ombudsman.",
)
_CHURN_IMPLICIT = (
    "I'm seriously thinking about leaving.",
    "Don't expect me to renew.",
    "I'm looking at other options.",
    "Give me one reason to stay.",
    "I'm done with this company.",
    "Other companies would treat me better.",
    "My contract is up soon and I'm not sure I'll stay.",
)
# Content customers say words that churn phrases contain, about something else.
_BENIGN_COLLISIONS = (
    "Can you refund me the late fee?",
    "I want a refund for the double charge, that's all.",
    "Please cancel my subscription to the sports add-on, I keep the rest.",
)
_LEAVING_REASONS = (
    "I'm moving abroad, so please cancel my contract.",
    "I found a better deal elsewhere, nothing personal.",
    "We're moving in with family, please close my account.",
    "I'd like to end my contract at the renewal date.",
)
_CLOSINGS = {
    "EMAIL": ("Regards,\n{name}", "Thanks,\n{name}", "{name}", "", "Best,\n{name}"),
    "CHAT": ("", "", "thanks"),
    "VOICE": ("", "", "Okay."),
    "SOCIAL": ("", "", " #customerservice", " #fail"),
}
_CONTACT_DETAILS = (
    "You can reach me on {phone}.",
    "Call me back on {phone} please.",
    "My email is {email} if you need it.",
)
_PRAISE = (
    "Shoutout to @{brand} support, {name} fixed my {thing} in {n} minutes!",
    "Have to say @{brand} has been great lately, my {thing} works perfectly.",
    "Really impressed with @{brand}: quick, friendly and sorted first time.",
    "Thank you @{brand} for the quick help today, brilliant service.",
    "Love my new plan from @{brand}, great value and it just works.",
)
_THINGS = ("router", "bill", "connection", "account", "app login", "new phone")
_PUBLIC_QUESTIONS = (
    "@{brand} is there an outage in {city} right now?",
    "@{brand} when does the new plan launch?",
    "@{brand} do you support eSIM yet?",
)
_AGENT_REPLIES = (
    "Sorry to hear that, let me check.",
    "I've passed this to our technical team.",
    "Thanks for your patience, I'm looking into it now.",
    "I can see the issue on your account.",
)
_SUBJECTS = {
    "BILLING": ("Billing problem", "Wrong charge", "Invoice question"),
    "CONNECTIVITY": ("Internet down", "Connection problems", "Slow speed"),
    "APP": ("App not working", "Login problem", "Website error"),
    "DELIVERY": ("Missing delivery", "Technician no-show", "Order problem"),
    "ACCOUNT": ("Account locked", "Account problem", "Plan changed"),
    QUESTION: ("Question", "Quick question", "About my plan"),
}


def mood_of(level: float) -> str:
    """The wording mood of a discontent level in [0, 1]."""
    return CALM if level < 0.35 else ANNOYED if level < 0.65 else ANGRY


def complaint(
    rng: random.Random,
    channel: str,
    topic: str,
    mood: str,
    attempt: int,
    churn_line: str = "",
    brand: str = "Acme",
    issue: str | None = None,
) -> str:
    """A customer's words about an issue on its ``attempt``-th contact, in one of many
    shapes; ``issue`` (from :func:`pick_issue`) keeps a case's problem the same across contacts."""
    parts = [_frame(rng, channel, issue or pick_issue(rng, topic), brand)]
    if attempt >= 2 and rng.random() < 0.75:
        parts.append(_fill(rng, rng.choice(_REPEATS), attempt=attempt))
    feeling = rng.choice(_FEELINGS[mood])
    if feeling:
        parts.append(feeling)
    if mood == ANGRY and rng.random() < 0.4:
        parts.append(rng.choice(_FEELINGS[ANGRY]))
    if churn_line:
        parts.insert(rng.randint(1, len(parts)), churn_line)
    if channel != "SOCIAL" and rng.random() < 0.1:
        parts.append(_fill(rng, rng.choice(_CONTACT_DETAILS)))
    return _finish(rng, channel, parts)


def pick_issue(rng: random.Random, topic: str) -> str:
    """One problem of ``topic``, details filled in."""
    return _fill(rng, rng.choice(_ISSUES[topic]))


def question(rng: random.Random, channel: str, brand: str = "Acme") -> str:
    """A neutral question about the customer's plan or account."""
    ask = rng.choice(_QUESTIONS)
    frame = rng.choice(_QUESTION_FRAMES["SOCIAL" if channel == "SOCIAL" else "OTHER"])
    parts = [frame.format(ask=ask, Ask=ask[:1].upper() + ask[1:], brand=brand)]
    if rng.random() < 0.5:
        parts.append(rng.choice(("Thanks!", "Thank you.", "Cheers.", "Many thanks.")))
    return _finish(rng, channel, parts)


def cancellation(rng: random.Random, channel: str, mood: str, service: bool) -> str:
    """The contact in which a leaving customer says so."""
    if not service:
        parts = [rng.choice(_LEAVING_REASONS)]
    else:
        parts = [rng.choice(_CHURN_EXPLICIT[:8])]
        feeling = rng.choice(_FEELINGS[mood])
        if feeling:
            parts.insert(rng.randint(0, 1), feeling)
    return _finish(rng, channel, parts)


def churn_line(rng: random.Random, explicit: bool) -> str:
    return rng.choice(_CHURN_EXPLICIT if explicit else _CHURN_IMPLICIT)


def benign_collision(rng: random.Random) -> str:
    return rng.choice(_BENIGN_COLLISIONS)


def praise(rng: random.Random, brand: str = "Acme") -> str:
    return _fill(rng, rng.choice(_PRAISE), brand=brand)


def public_question(rng: random.Random, brand: str = "Acme") -> str:
    return _fill(rng, rng.choice(_PUBLIC_QUESTIONS), brand=brand)


def agent_reply(rng: random.Random) -> str:
    return rng.choice(_AGENT_REPLIES)


def subject(rng: random.Random, topic: str, attempt: int, mood: str) -> str:
    text = rng.choice(_SUBJECTS[topic])
    if attempt >= 2:
        text = f"Re: {text}"
    if mood == ANGRY and rng.random() < 0.5:
        text = f"{text.upper()} AGAIN"
    return text


def ordinal(n: int) -> str:
    words = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
    return words.get(n, f"{n}th")


def _frame(rng: random.Random, channel: str, issue: str, brand: str) -> str:
    frame = rng.choice(_FRAMES[channel])
    return frame.format(issue=issue, Issue=issue[:1].upper() + issue[1:], brand=brand)


def _finish(rng: random.Random, channel: str, parts: list[str]) -> str:
    closing = _fill(rng, rng.choice(_CLOSINGS[channel]))
    if channel == "EMAIL":
        greeting = rng.choice(("Hello,", "Hi,", "Dear support team,", "Good morning,", ""))
        body = " ".join(p for p in parts if p)
        return "\n\n".join(p for p in (greeting, body, closing) if p)
    text = " ".join(p for p in parts if p)
    if channel == "CHAT" and rng.random() < 0.3:
        text = text.lower()
    return f"{text}{closing}" if channel == "SOCIAL" else " ".join(p for p in (text, closing) if p)


def _fill(rng: random.Random, template: str, attempt: int = 2, brand: str = "Acme") -> str:
    if "{" not in template:
        return template
    name = rng.choice(_NAMES)
    return template.format(
        month=rng.choice(_MONTHS),
        amount=rng.choice((12, 15, 20, 25, 40)),
        hour=rng.choice(("7pm", "8pm", "9pm", "10pm")),
        day=rng.choice(_DAYS),
        n=rng.randint(3, 9) if "contacts" not in template else attempt,
        ordinal=ordinal(attempt),
        when=rng.choice(("last week", "on " + rng.choice(_DAYS), "twice already", "yesterday")),
        name=name,
        brand=brand,
        thing=rng.choice(_THINGS),
        city=rng.choice(_CITIES),
        phone=f"+1 202 555 {rng.randint(100, 199):04d}",
        email=f"{name.lower()}.{rng.randint(1, 99)}@example.com",
    )
