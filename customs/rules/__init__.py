"""Rules per destination, one small module each; :data:`RULES` maps a destination's ``rules`` name to it."""

from __future__ import annotations

from customs.rules import au, ca, ch, cn, eu, gb, jp, sg, us
from customs.rules.base import RuleModule

__all__ = ["RULES", "RuleModule"]

RULES: dict[str, RuleModule] = {
    "eu": eu,
    "gb": gb,
    "us": us,
    "ca": ca,
    "au": au,
    "jp": jp,
    "ch": ch,
    "sg": sg,
    "cn": cn,
}
