// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILicenseManager} from "./interfaces/ILicenseManager.sol";
import {ITakedownRegistry} from "./interfaces/ITakedownRegistry.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";

/// @title TakedownRegistry: takedowns of assets and licenses that take effect at once.
/// @notice The twin's owner, or an agent the owner approved, files a takedown for one asset (by its
/// SHA-256 content hash) or for a whole license, with a reason code and an evidence hash. From the
/// filing transaction on, usage registration rejects the asset or license. The licensee
/// acknowledges the takedown and reports removal; each step has an on-chain timestamp, so time to
/// acknowledge and time to resolve can be measured. A takedown stays in force until the owner or
/// an agent withdraws it, removal reported or not.
///
/// Reason codes: 1 consent withdrawn, 2 use outside the license scope, 3 harmful or misleading
/// content, 4 unlicensed likeness, 5 legal order, 6 other. Codes above 6 are rejected.
contract TakedownRegistry is ITakedownRegistry {
    uint8 public constant TARGET_ASSET = 0;
    uint8 public constant TARGET_LICENSE = 1;
    uint16 public constant MAX_REASON_CODE = 6;

    enum Status {
        None,
        Filed,
        Acknowledged,
        RemovalReported,
        Withdrawn
    }

    struct Takedown {
        uint256 twinId;
        uint256 licenseId;
        bytes32 assetHash;
        bytes32 evidenceHash;
        address filedBy;
        uint8 target;
        Status status;
        uint16 reasonCode;
        uint64 filedAt;
        uint64 acknowledgedAt;
        uint64 removalReportedAt;
        uint64 withdrawnAt;
    }

    ITwinRegistry public immutable registry;
    ILicenseManager public immutable licenses;

    mapping(uint256 takedownId => Takedown) private _takedowns;
    /// @dev Keyed by the owner who approved, so approvals lapse when the twin token changes hands.
    mapping(uint256 twinId => mapping(address owner => mapping(address agent => bool))) private _agents;
    mapping(uint256 twinId => mapping(bytes32 assetHash => uint256 takedownId)) private _assetTakedowns;
    mapping(uint256 twinId => uint256) private _assetTakedownCount;
    mapping(uint256 licenseId => uint256 takedownId) private _licenseTakedowns;
    uint256 private _lastTakedownId;

    event TakedownAgentChanged(uint256 indexed twinId, address indexed agent, bool approved);
    /// @notice Emitted when a takedown is filed; it is in force from this transaction on. For an asset
    /// takedown `licenseId` names the licensee asked to remove it, or is 0 for every licensee.
    event TakedownFiled(
        uint256 indexed takedownId,
        uint256 indexed twinId,
        uint256 indexed licenseId,
        uint8 target,
        bytes32 assetHash,
        uint16 reasonCode,
        bytes32 evidenceHash,
        address filedBy,
        uint64 filedAt
    );
    event TakedownAcknowledged(uint256 indexed takedownId, uint256 indexed licenseId, address indexed by, uint64 acknowledgedAt);
    event TakedownRemovalReported(
        uint256 indexed takedownId, uint256 indexed licenseId, address indexed by, uint64 removalReportedAt
    );
    event TakedownWithdrawn(uint256 indexed takedownId, address indexed by, uint64 withdrawnAt);

    error TakedownRegistryUnknownTakedown(uint256 takedownId);
    error TakedownRegistryNotOwnerOrAgent(uint256 twinId, address caller);
    error TakedownRegistryNotTwinOwner(uint256 twinId, address caller, address owner);
    error TakedownRegistryZeroAgent();
    error TakedownRegistryEmptyAssetHash();
    error TakedownRegistryInvalidReasonCode(uint16 reasonCode, uint16 max);
    error TakedownRegistryAssetAlreadyTakenDown(uint256 twinId, bytes32 assetHash, uint256 takedownId);
    error TakedownRegistryLicenseAlreadyTakenDown(uint256 licenseId, uint256 takedownId);
    error TakedownRegistryWrongTwin(uint256 licenseId, uint256 licenseTwinId, uint256 twinId);
    error TakedownRegistryNotLicensee(uint256 licenseId, address caller, address holder);
    error TakedownRegistryWrongLicense(uint256 takedownId, uint256 expectedLicenseId, uint256 licenseId);
    error TakedownRegistryInvalidStatus(uint256 takedownId, Status status);

    constructor(ITwinRegistry registry_, ILicenseManager licenses_) {
        registry = registry_;
        licenses = licenses_;
    }

    /// @notice Approves `agent` to file and withdraw takedowns for twin `twinId`, or removes it.
    /// Requirements: the caller owns the twin; `agent` is not the zero address.
    /// Emits {TakedownAgentChanged}.
    /// @dev An approval belongs to the owner who gave it: once the twin token changes hands, the
    /// previous owner's agents lose their rights and the new owner approves its own.
    function setAgent(uint256 twinId, address agent, bool approved) external {
        address owner = registry.twinOwner(twinId);
        if (owner != msg.sender) revert TakedownRegistryNotTwinOwner(twinId, msg.sender, owner);
        if (agent == address(0)) revert TakedownRegistryZeroAgent();
        _agents[twinId][owner][agent] = approved;
        emit TakedownAgentChanged(twinId, agent, approved);
    }

    /// @notice Files a takedown of asset `assetHash` of twin `twinId`: usages of that asset under any
    /// license of the twin are rejected from now on.
    /// @param licenseId Licensee asked to remove the asset, or 0 for every licensee of the twin.
    /// Requirements: the caller owns the twin or is its agent; a non-zero asset hash; a known reason
    /// code; no takedown of the same asset in force; `licenseId`, when given, licenses this twin.
    /// Emits {TakedownFiled}.
    function fileAssetTakedown(uint256 twinId, bytes32 assetHash, uint256 licenseId, uint16 reasonCode, bytes32 evidenceHash)
        external
        returns (uint256 takedownId)
    {
        _requireOwnerOrAgent(twinId);
        if (assetHash == bytes32(0)) revert TakedownRegistryEmptyAssetHash();
        uint256 existing = _assetTakedowns[twinId][assetHash];
        if (existing != 0) revert TakedownRegistryAssetAlreadyTakenDown(twinId, assetHash, existing);
        if (licenseId != 0) {
            (uint256 licenseTwinId,) = licenses.licenseTwinAndHolder(licenseId);
            if (licenseTwinId != twinId) revert TakedownRegistryWrongTwin(licenseId, licenseTwinId, twinId);
        }

        takedownId = _file(twinId, licenseId, TARGET_ASSET, assetHash, reasonCode, evidenceHash);
        _assetTakedowns[twinId][assetHash] = takedownId;
        ++_assetTakedownCount[twinId];
    }

    /// @notice Files a takedown of license `licenseId`: no usage under it is registered from now on.
    /// Requirements: the caller owns the license's twin or is its agent; a known reason code; no
    /// takedown of the license in force.
    /// Emits {TakedownFiled}.
    function fileLicenseTakedown(uint256 licenseId, uint16 reasonCode, bytes32 evidenceHash)
        external
        returns (uint256 takedownId)
    {
        (uint256 twinId,) = licenses.licenseTwinAndHolder(licenseId);
        _requireOwnerOrAgent(twinId);
        uint256 existing = _licenseTakedowns[licenseId];
        if (existing != 0) revert TakedownRegistryLicenseAlreadyTakenDown(licenseId, existing);

        takedownId = _file(twinId, licenseId, TARGET_LICENSE, bytes32(0), reasonCode, evidenceHash);
        _licenseTakedowns[licenseId] = takedownId;
    }

    /// @notice Acknowledges takedown `takedownId` as the holder of license `licenseId`.
    /// Requirements: the caller holds `licenseId`, which licenses the takedown's twin and is the
    /// license the takedown names, if it names one; the takedown is filed and not yet acknowledged.
    /// Emits {TakedownAcknowledged}.
    /// @dev Warning: a takedown keeps one status, so for an asset takedown addressed to every
    /// licensee (`licenseId` 0) only the first licensee's acknowledgement and removal are recorded.
    function acknowledge(uint256 takedownId, uint256 licenseId) external {
        Takedown storage takedown = _requireLicenseeStep(takedownId, licenseId);
        if (takedown.status != Status.Filed) revert TakedownRegistryInvalidStatus(takedownId, takedown.status);
        takedown.status = Status.Acknowledged;
        takedown.acknowledgedAt = uint64(block.timestamp);
        emit TakedownAcknowledged(takedownId, licenseId, msg.sender, takedown.acknowledgedAt);
    }

    /// @notice Reports that the holder of license `licenseId` removed what takedown `takedownId`
    /// covers. A report without an earlier acknowledgement acknowledges too. The takedown stays in
    /// force.
    /// Requirements: as for {acknowledge}, with the takedown filed or acknowledged.
    /// Emits {TakedownAcknowledged} when not acknowledged before, then {TakedownRemovalReported}.
    function reportRemoval(uint256 takedownId, uint256 licenseId) external {
        Takedown storage takedown = _requireLicenseeStep(takedownId, licenseId);
        if (takedown.status != Status.Filed && takedown.status != Status.Acknowledged) {
            revert TakedownRegistryInvalidStatus(takedownId, takedown.status);
        }
        uint64 now_ = uint64(block.timestamp);
        if (takedown.status == Status.Filed) {
            takedown.acknowledgedAt = now_;
            emit TakedownAcknowledged(takedownId, licenseId, msg.sender, now_);
        }
        takedown.status = Status.RemovalReported;
        takedown.removalReportedAt = now_;
        emit TakedownRemovalReported(takedownId, licenseId, msg.sender, now_);
    }

    /// @notice Withdraws takedown `takedownId`: usages of its asset or license are accepted again.
    /// Requirements: the caller owns the twin or is its agent; the takedown is not withdrawn yet.
    /// Emits {TakedownWithdrawn}.
    function withdrawTakedown(uint256 takedownId) external {
        Takedown storage takedown = _requireTakedown(takedownId);
        _requireOwnerOrAgent(takedown.twinId);
        if (takedown.status == Status.Withdrawn) revert TakedownRegistryInvalidStatus(takedownId, takedown.status);

        takedown.status = Status.Withdrawn;
        takedown.withdrawnAt = uint64(block.timestamp);
        if (takedown.target == TARGET_ASSET) {
            delete _assetTakedowns[takedown.twinId][takedown.assetHash];
            --_assetTakedownCount[takedown.twinId];
        } else {
            delete _licenseTakedowns[takedown.licenseId];
        }
        emit TakedownWithdrawn(takedownId, msg.sender, takedown.withdrawnAt);
    }

    /// @inheritdoc ITakedownRegistry
    function usageBlockers(uint256 twinId, uint256 licenseId)
        external
        view
        returns (uint256 licenseTakedownId, bool twinHasAssetTakedowns)
    {
        return (_licenseTakedowns[licenseId], _assetTakedownCount[twinId] != 0);
    }

    /// @inheritdoc ITakedownRegistry
    function assetTakedownOf(uint256 twinId, bytes32 assetHash) external view returns (uint256) {
        return _assetTakedowns[twinId][assetHash];
    }

    /// @notice Takedown in force against license `licenseId`, or 0 when none.
    function licenseTakedownOf(uint256 licenseId) external view returns (uint256) {
        return _licenseTakedowns[licenseId];
    }

    /// @notice Stored record of takedown `takedownId`.
    function takedownOf(uint256 takedownId) external view returns (Takedown memory) {
        return _requireTakedown(takedownId);
    }

    /// @notice Whether `agent` may file and withdraw takedowns for twin `twinId`.
    function isAgent(uint256 twinId, address agent) external view returns (bool) {
        return _agents[twinId][registry.twinOwner(twinId)][agent];
    }

    /// @notice Number of takedowns filed; takedown ids run from 1 to this number.
    function totalTakedowns() external view returns (uint256) {
        return _lastTakedownId;
    }

    function _file(
        uint256 twinId,
        uint256 licenseId,
        uint8 target,
        bytes32 assetHash,
        uint16 reasonCode,
        bytes32 evidenceHash
    ) private returns (uint256 takedownId) {
        if (reasonCode == 0 || reasonCode > MAX_REASON_CODE) {
            revert TakedownRegistryInvalidReasonCode(reasonCode, MAX_REASON_CODE);
        }
        takedownId = ++_lastTakedownId;
        Takedown storage takedown = _takedowns[takedownId];
        takedown.twinId = twinId;
        takedown.licenseId = licenseId;
        takedown.assetHash = assetHash;
        takedown.evidenceHash = evidenceHash;
        takedown.filedBy = msg.sender;
        takedown.target = target;
        takedown.status = Status.Filed;
        takedown.reasonCode = reasonCode;
        takedown.filedAt = uint64(block.timestamp);
        emit TakedownFiled(
            takedownId, twinId, licenseId, target, assetHash, reasonCode, evidenceHash, msg.sender, takedown.filedAt
        );
    }

    function _requireLicenseeStep(uint256 takedownId, uint256 licenseId) private view returns (Takedown storage takedown) {
        takedown = _requireTakedown(takedownId);
        if (takedown.licenseId != 0 && takedown.licenseId != licenseId) {
            revert TakedownRegistryWrongLicense(takedownId, takedown.licenseId, licenseId);
        }
        (uint256 licenseTwinId, address holder) = licenses.licenseTwinAndHolder(licenseId);
        if (licenseTwinId != takedown.twinId) revert TakedownRegistryWrongTwin(licenseId, licenseTwinId, takedown.twinId);
        if (holder != msg.sender) revert TakedownRegistryNotLicensee(licenseId, msg.sender, holder);
    }

    function _requireOwnerOrAgent(uint256 twinId) private view {
        address owner = registry.twinOwner(twinId);
        if (owner != msg.sender && !_agents[twinId][owner][msg.sender]) {
            revert TakedownRegistryNotOwnerOrAgent(twinId, msg.sender);
        }
    }

    function _requireTakedown(uint256 takedownId) private view returns (Takedown storage takedown) {
        takedown = _takedowns[takedownId];
        if (takedown.status == Status.None) revert TakedownRegistryUnknownTakedown(takedownId);
    }
}
