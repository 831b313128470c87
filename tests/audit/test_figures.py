"""Figures: asset reuse, marginal cost per new image, earnings per twin and recipient."""

from __future__ import annotations

from tests.audit.conftest import run_campaign
from tests.builders import register_usages, usage_record
from tests.harness import Harness
from twinledger.audit import AuditContext
from twinledger.audit.figures import compute_figures, ratio
from twinledger.chain import ETH

PRICE = 10**12


def test_figures_reuse_and_marginal_cost(anvil_only: Harness, audit: AuditContext) -> None:
    campaign = run_campaign(anvil_only)
    audit.indexer().sync()

    with audit.session_factory() as session:
        figures = compute_figures(session)

    assert figures.total_uses == 4
    assert figures.distinct_assets == 3
    assert figures.reuse_rate == "1.333333"
    top = figures.assets[0]
    assert top.asset_hash == "0x" + campaign.assets[0].hex()
    assert (top.uses, top.quantity, top.licenses) == (2, 5, 1)
    [cost] = figures.costs
    assert cost.currency == ETH
    # New images: asset 0 first used at 3 units, asset 1 at 1, asset 2 at 5.
    assert cost.new_images == 3
    assert cost.new_image_fees == 9 * PRICE
    assert cost.marginal_cost_per_new_image == f"{3 * PRICE}.000000"
    assert cost.fees == 11 * PRICE
    assert cost.average_fee_per_use == f"{11 * PRICE // 4}.000000"


def test_figures_period_excludes_earlier_first_use(anvil_only: Harness, audit: AuditContext) -> None:
    campaign = run_campaign(anvil_only)
    anvil_only.client.increase_time(3_600)
    # Asset 0 again (reuse, not new) and a new asset 4, in a later period.
    register_usages(anvil_only, campaign.licensed.license_id, usage_record(campaign.assets[0], quantity=1) + usage_record(b"\x44" * 32, quantity=4))
    audit.indexer().sync()
    since = anvil_only.now()

    with audit.session_factory() as session:
        figures = compute_figures(session, since=since)

    assert figures.total_uses == 2
    [cost] = figures.costs
    assert cost.new_images == 1
    assert cost.new_image_fees == 4 * PRICE
    assert cost.marginal_cost_per_new_image == f"{4 * PRICE}.000000"


def test_figures_earnings_match_vault(anvil_only: Harness, audit: AuditContext) -> None:
    h = anvil_only
    campaign = run_campaign(h)
    audit.indexer().sync()

    with audit.session_factory() as session:
        figures = compute_figures(session, twin_id=campaign.licensed.twin_id)

    [twin] = figures.earnings_per_twin
    assert twin.key == str(campaign.licensed.twin_id)
    license_fee = 10**16
    assert twin.amount == license_fee + sum(campaign.batch_fees)
    per_recipient = {earning.key: earning.amount for earning in figures.earnings_per_recipient}
    for account in (h.accounts.agency, h.accounts.studio):
        assert per_recipient[account.address] == h.ledger.vault.functions.balanceOf(account.address, ETH).call()
    assert sum(per_recipient.values()) == twin.amount


def test_ratio_handles_zero_and_rounding() -> None:
    assert ratio(1, 0) is None
    assert ratio(2, 3) == "0.666667"
    assert ratio(10**30, 1) == f"{10**30}.000000"
