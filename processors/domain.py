"""The closed vocabularies of the contracts: channel, outcome, severity, alert type and
status, tier, what became of a customer. Each is a ``Literal`` whose values are the symbols
of the Avro enum of the same name in schemas/ (a unit test holds them equal), with the
values as a tuple in schema order.
"""

from __future__ import annotations

from typing import Literal, get_args

Channel = Literal["VOICE", "EMAIL", "CHAT", "SOCIAL"]
Direction = Literal["INBOUND", "OUTBOUND"]
Outcome = Literal["NONE", "RESOLVED", "UNRESOLVED", "ABANDONED", "ESCALATED", "CALLBACK_REQUESTED"]
SentimentSource = Literal["NONE", "UPSTREAM", "VADER"]
Severity = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
AlertType = Literal["AT_RISK", "PUBLIC_COMPLAINT", "PRAISE", "FOLLOW_UP", "RECOVERED"]
AlertStatus = Literal["OPEN", "ESCALATED", "CLOSED"]
Tier = Literal["BASIC", "SILVER", "GOLD", "PLATINUM"]
CustomerOutcomeType = Literal["CHURNED", "RENEWED", "DOWNGRADED", "WON_BACK"]

CHANNELS: tuple[Channel, ...] = get_args(Channel)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
ALERT_TYPES: tuple[AlertType, ...] = get_args(AlertType)
ALERT_STATUSES: tuple[AlertStatus, ...] = get_args(AlertStatus)
TIERS: tuple[Tier, ...] = get_args(Tier)
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
SENTIMENT_SOURCES: tuple[SentimentSource, ...] = get_args(SentimentSource)
CUSTOMER_OUTCOMES: tuple[CustomerOutcomeType, ...] = get_args(CustomerOutcomeType)
