"""The compliance rules engine (COMPLIANCE.md): pure functions over plain dataclasses."""

from app.rules.context import (
    Address,
    ConsentState,
    EvaluationContext,
    HistoryContact,
    HoldState,
    InconvenientTime,
)
from app.rules.decision import CandidateZone, Decision, Reason, Warning
from app.rules.engine import evaluate, history_horizon
from app.rules.lender_rules import LenderRule, RuleWindow, parse_lender_rules
from app.rules.presets import KNOWN_PROFILE_CODES, PRESETS, Preset, list_presets, preset_as_dict
from app.rules.selection import UnknownProfile, applicable_profiles
from app.rules.zones import address_zones, normalise_zone, phone_zones

__all__ = [
    "KNOWN_PROFILE_CODES",
    "PRESETS",
    "Address",
    "CandidateZone",
    "ConsentState",
    "Decision",
    "EvaluationContext",
    "HistoryContact",
    "HoldState",
    "InconvenientTime",
    "LenderRule",
    "Preset",
    "Reason",
    "RuleWindow",
    "UnknownProfile",
    "Warning",
    "address_zones",
    "applicable_profiles",
    "evaluate",
    "history_horizon",
    "list_presets",
    "normalise_zone",
    "parse_lender_rules",
    "phone_zones",
    "preset_as_dict",
]
