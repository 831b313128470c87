// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The parts of the consent registry that licensing and usage registration read.
interface IConsentRegistry {
    /// @notice Reverts unless consent `consentId` is live now (granted, not revoked, inside its
    /// validity) for twin `twinId` and covers the given channels, territories, AI uses and window.
    function requireCoverage(
        uint256 consentId,
        uint256 twinId,
        uint32 mediaMask,
        uint256[4] calldata territories,
        uint8 aiUseMask,
        uint64 start,
        uint64 end
    ) external view;

    /// @notice Interval in which usages under consent `consentId` may be registered: from the
    /// grant's start to the earlier of its end and the end of the notice period after a revocation.
    function usageWindow(uint256 consentId) external view returns (uint64 validFrom, uint64 usableUntil);
}
