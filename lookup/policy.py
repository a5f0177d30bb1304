"""The marketplace policy: one file of figures shared by the articles and the next-steps engine."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

POLICY_FILE = Path(__file__).with_name("policy.toml")

# Symbols for the currencies we print; any other code is printed after the amount.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


class PolicyError(ValueError):
    """A policy file or a seller override that cannot be used."""


def load_policy(path: Path | str | None = None) -> Mapping[str, Any]:
    """Read the policy file into a read-only mapping."""
    path = Path(path) if path else POLICY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read the policy file {path}: {exc}") from exc
    unknown = set(data.get("seller_may_override", [])) - set(data)
    if unknown:
        raise PolicyError(f"seller_may_override names unknown figures: {sorted(unknown)}")
    return MappingProxyType(data)


def effective_policy(
    policy: Mapping[str, Any], seller_policy: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """Return the marketplace policy with the seller's allowed overrides applied."""
    if not seller_policy:
        return policy
    allowed = set(policy.get("seller_may_override", []))
    merged = dict(policy)
    for name, value in seller_policy.items():
        # A seller may only change figures the marketplace lets it change, and only to a count.
        if (name in allowed and isinstance(value, int) and not isinstance(value, bool)
                and value >= 0):
            merged[name] = value
    return MappingProxyType(merged)


def format_value(value: Any) -> str:
    """Render a policy value the way an article prints it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping) and {"amount", "currency"} <= value.keys():
        amount = f"{value['amount']:,}"
        symbol = CURRENCY_SYMBOLS.get(value["currency"])
        return f"{symbol}{amount}" if symbol else f"{amount} {value['currency']}"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    return str(value)
