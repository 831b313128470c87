"""A small load run over HTTP: 10 clients post 20 usages each, 10% of them repeats of earlier ids.
Exactly the distinct usages are registered and charged, once each. ``make soak`` runs the full size."""

from __future__ import annotations

from tests.reliability.load import run_load


def test_concurrent_clients_charge_each_distinct_usage_once() -> None:
    result = run_load(clients=10, posts_per_client=20)

    assert result.posts == 200
    assert result.retries == 20
    assert set(result.statuses) <= {200, 202}, result.statuses
    assert result.statuses[202] == result.distinct == 180
    assert result.statuses[200] == 20
    assert result.registered_events == 180
    assert (result.refs_charged_twice, result.refs_missing, result.refs_unexpected) == (0, 0, 0)
    assert result.deposit_charged == result.expected_charge
