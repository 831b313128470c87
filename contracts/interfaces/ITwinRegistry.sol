// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The parts of the twin registry that the other TwinLedger contracts read.
interface ITwinRegistry {
    /// @notice Owner of twin `twinId` (the model). Reverts for an unknown twin.
    function twinOwner(uint256 twinId) external view returns (address);

    /// @notice Whether twin `twinId` exists and can be licensed and used: neither the twin nor the
    /// registry is paused.
    function isTwinActive(uint256 twinId) external view returns (bool);

    /// @notice Current payout split of twin `twinId`.
    /// @return recipients Payees, at most `MAX_SPLIT_RECIPIENTS`, without duplicates.
    /// @return sharesBps Each payee's share in basis points; the shares sum to 10,000.
    /// @return version Counter that grows with every split change, starting at 1.
    function splitOf(uint256 twinId)
        external
        view
        returns (address[] memory recipients, uint16[] memory sharesBps, uint32 version);
}
