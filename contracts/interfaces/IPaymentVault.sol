// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The parts of the payment vault that the licensing and usage contracts call.
interface IPaymentVault {
    /// @notice Whether `currency` may be used for terms, deposits and payments (`address(0)` is ETH).
    function isCurrencyAllowed(address currency) external view returns (bool);

    /// @notice Takes `amount` from `payer`'s deposit and credits it to the payout split of `twinId`.
    function chargeDeposit(address payer, address currency, uint256 amount, uint256 twinId, uint8 kind, uint256 licenseId)
        external;

    /// @notice Receives `amount` from `payer` (ETH sent along, or an ERC-20 pulled from `payer`) and
    /// credits it to the payout split of `twinId`.
    function collectPayment(address payer, address currency, uint256 amount, uint256 twinId, uint8 kind, uint256 licenseId)
        external
        payable;
}
