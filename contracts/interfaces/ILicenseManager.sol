// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LedgerTypes} from "../libraries/LedgerTypes.sol";

/// @title The parts of the license manager that usage registration and takedowns read.
interface ILicenseManager {
    /// @notice License `licenseId` as sold, and its current holder. Reverts for an unknown license.
    function licenseForUsage(uint256 licenseId)
        external
        view
        returns (address holder, LedgerTypes.License memory license);

    /// @notice Twin licensed by `licenseId` and the license's current holder. Reverts for an unknown license.
    function licenseTwinAndHolder(uint256 licenseId) external view returns (uint256 twinId, address holder);
}
