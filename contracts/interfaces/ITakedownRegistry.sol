// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The parts of the takedown registry that usage registration reads.
interface ITakedownRegistry {
    /// @notice Takedown in force against license `licenseId` (0 when none), and whether twin `twinId`
    /// has any asset takedown in force, in which case each asset must be checked with {assetTakedownOf}.
    function usageBlockers(uint256 twinId, uint256 licenseId)
        external
        view
        returns (uint256 licenseTakedownId, bool twinHasAssetTakedowns);

    /// @notice Takedown in force against asset `assetHash` of twin `twinId`, or 0 when none.
    function assetTakedownOf(uint256 twinId, bytes32 assetHash) external view returns (uint256);
}
