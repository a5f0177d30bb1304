"""A store policy may change the marketplace's figures only in the buyer's favour."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lookup.next_steps import next_steps
from lookup.policy import PolicyError
from lookup.policy import effective_policy
from lookup.policy import load_policy
from lookup.schema import validate_order
from tests.lookup_fixtures import make_order
from tests.lookup_fixtures import shipping

POLICY = load_policy()


def test_a_longer_window_applies():
    """A seller giving more time than the marketplace is honoured."""
    longer = POLICY["return_window_days"] + 16
    assert effective_policy(POLICY, {"return_window_days": longer})["return_window_days"] == longer


@pytest.mark.parametrize("name", ["return_window_days", "exchange_window_days",
                                  "not_as_described_window_months"])
def test_a_shorter_window_is_ignored(name):
    """A seller's shorter window never replaces the marketplace's minimum."""
    merged = effective_policy(POLICY, {name: POLICY[name] - 1})
    assert merged[name] == POLICY[name]


@pytest.mark.parametrize("name", ["late_delivery_days", "seller_reply_working_days"])
def test_waits_may_only_get_shorter(name):
    """For a wait the buyer sits out, only a shorter figure applies; zero means nothing."""
    assert effective_policy(POLICY, {name: 1})[name] == 1
    assert effective_policy(POLICY, {name: POLICY[name] + 5})[name] == POLICY[name]
    assert effective_policy(POLICY, {name: 0})[name] == POLICY[name]


@pytest.mark.parametrize("value", [-1, 0, True, "30", 30.5, None])
def test_values_that_are_not_counts_are_ignored(value):
    """Only whole positive numbers count."""
    merged = effective_policy(POLICY, {"return_window_days": value})
    assert merged["return_window_days"] == POLICY["return_window_days"]


def test_a_seller_with_a_shorter_window_does_not_shorten_the_lookup():
    """Delivered 10 days ago from a seller whose store policy says 7: the return is still open."""
    order = validate_order(make_order(
        status="delivered",
        seller={**make_order()["seller"], "policy": {"return_window_days": 7}},
        shipping=shipping(delivered_at="2026-03-06T11:00:00+09:00")))
    steps = {step["id"]: step for step in next_steps(order, POLICY, date(2026, 3, 16))}
    assert steps["return"]["deadline"] == "2026-03-20"
    assert "this seller's own policy" not in steps["return"]["detail"]


def test_shorten_list_must_be_overridable(tmp_path: Path):
    """A policy file naming a shorten-only figure a seller may not change at all is refused."""
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('a = 1\nseller_may_override = []\nseller_may_shorten = ["a"]\n',
                           encoding="utf-8")
    with pytest.raises(PolicyError, match="seller_may_shorten"):
        load_policy(policy_file)
