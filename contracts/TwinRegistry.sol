// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";

/// @title TwinRegistry: one ERC-721 ownership token per digital twin.
/// @notice A registrar (a capture studio holding `REGISTRAR_ROLE`) mints a twin to the model after a
/// verified capture. The token records the capture's provenance hash, a metadata URI (with ERC-4906
/// update events) and the twin's payout split. The model, as the token's owner, changes the split,
/// the metadata URI and the twin's own pause flag.
/// @dev Twin ids start at 1; id 0 never names a twin.
contract TwinRegistry is ERC721, AccessControl, Pausable, IERC4906, ITwinRegistry {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Largest number of recipients in a payout split.
    uint256 public constant MAX_SPLIT_RECIPIENTS = 16;
    /// @notice Sum that the shares of a split must reach exactly.
    uint16 public constant TOTAL_SHARES_BPS = 10_000;

    struct Twin {
        bytes32 provenanceHash;
        address registrar;
        uint64 registeredAt;
        uint32 splitVersion;
        bool paused;
        string metadataURI;
        address[] recipients;
        uint16[] sharesBps;
    }

    mapping(uint256 twinId => Twin) private _twins;
    mapping(bytes32 provenanceHash => uint256 twinId) private _twinByProvenance;
    uint256 private _lastTwinId;

    /// @notice Emitted when a registrar mints a twin to its model.
    event TwinRegistered(
        uint256 indexed twinId,
        address indexed model,
        address indexed registrar,
        bytes32 provenanceHash,
        string metadataURI
    );
    /// @notice Emitted with the whole new split whenever a twin's split is set, at registration too.
    event SplitChanged(uint256 indexed twinId, uint32 version, address[] recipients, uint16[] sharesBps);
    /// @notice Emitted when the twin's owner changes the metadata URI (beside ERC-4906 `MetadataUpdate`).
    event MetadataURIChanged(uint256 indexed twinId, string metadataURI);
    /// @notice Emitted when the twin's owner pauses or resumes the twin.
    event TwinPauseChanged(uint256 indexed twinId, bool paused, address indexed by);

    error TwinRegistryUnknownTwin(uint256 twinId);
    error TwinRegistryNotTwinOwner(uint256 twinId, address caller, address owner);
    error TwinRegistryZeroModel();
    error TwinRegistryEmptyProvenance();
    error TwinRegistryDuplicateProvenance(bytes32 provenanceHash, uint256 existingTwinId);
    error TwinRegistrySplitEmpty();
    error TwinRegistrySplitTooLarge(uint256 count, uint256 max);
    error TwinRegistrySplitLengthMismatch(uint256 recipients, uint256 shares);
    error TwinRegistrySplitZeroRecipient(uint256 index);
    error TwinRegistrySplitDuplicateRecipient(address recipient, uint256 firstIndex, uint256 secondIndex);
    error TwinRegistrySplitZeroShare(uint256 index, address recipient);
    error TwinRegistrySplitSumInvalid(uint256 sum, uint256 required);

    /// @param admin Account that receives `DEFAULT_ADMIN_ROLE` and `PAUSER_ROLE`.
    constructor(address admin) ERC721("TwinLedger Digital Twin", "TWIN") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    modifier onlyTwinOwner(uint256 twinId) {
        address owner = _requireTwin(twinId);
        if (owner != msg.sender) revert TwinRegistryNotTwinOwner(twinId, msg.sender, owner);
        _;
    }

    /// @notice Mints a new twin to `model` with its provenance hash, metadata URI and payout split.
    /// @dev Uses `_mint`, not `_safeMint`, so that minting never calls into the model's address.
    /// Requirements:
    /// - the caller holds `REGISTRAR_ROLE` and the registry is not paused;
    /// - `model` is not the zero address;
    /// - `provenanceHash` is not zero and no other twin carries it;
    /// - the split follows the rules of {setSplit}.
    /// Emits {TwinRegistered}, {SplitChanged} and ERC-721 `Transfer`.
    /// @return twinId The new twin's id, starting at 1.
    function registerTwin(
        address model,
        bytes32 provenanceHash,
        string calldata metadataURI,
        address[] calldata recipients,
        uint16[] calldata sharesBps
    ) external onlyRole(REGISTRAR_ROLE) whenNotPaused returns (uint256 twinId) {
        if (model == address(0)) revert TwinRegistryZeroModel();
        if (provenanceHash == bytes32(0)) revert TwinRegistryEmptyProvenance();
        uint256 existing = _twinByProvenance[provenanceHash];
        if (existing != 0) revert TwinRegistryDuplicateProvenance(provenanceHash, existing);

        twinId = ++_lastTwinId;
        Twin storage twin = _twins[twinId];
        twin.provenanceHash = provenanceHash;
        twin.registrar = msg.sender;
        twin.registeredAt = uint64(block.timestamp);
        twin.metadataURI = metadataURI;
        _twinByProvenance[provenanceHash] = twinId;
        _mint(model, twinId);
        emit TwinRegistered(twinId, model, msg.sender, provenanceHash, metadataURI);

        _setSplit(twinId, recipients, sharesBps);
    }

    /// @notice Replaces the payout split of twin `twinId`. Payments made after the change follow the
    /// new split; credits made before it stay where they are.
    /// Requirements:
    /// - the caller owns the twin;
    /// - 1 to `MAX_SPLIT_RECIPIENTS` recipients, as many shares as recipients;
    /// - no zero address and no recipient twice;
    /// - every share above zero and the shares summing to exactly 10,000 basis points.
    /// Emits {SplitChanged} with the whole new split.
    function setSplit(uint256 twinId, address[] calldata recipients, uint16[] calldata sharesBps)
        external
        onlyTwinOwner(twinId)
    {
        _setSplit(twinId, recipients, sharesBps);
    }

    /// @notice Replaces the metadata URI of twin `twinId`.
    /// Requirements: the caller owns the twin.
    /// Emits {MetadataURIChanged} and ERC-4906 `MetadataUpdate`.
    function setMetadataURI(uint256 twinId, string calldata metadataURI) external onlyTwinOwner(twinId) {
        _twins[twinId].metadataURI = metadataURI;
        emit MetadataURIChanged(twinId, metadataURI);
        emit MetadataUpdate(twinId);
    }

    /// @notice Pauses or resumes twin `twinId`: while paused, no license for it is sold and no usage
    /// of it is registered.
    /// Requirements: the caller owns the twin.
    /// Emits {TwinPauseChanged}.
    function setTwinPaused(uint256 twinId, bool paused_) external onlyTwinOwner(twinId) {
        _twins[twinId].paused = paused_;
        emit TwinPauseChanged(twinId, paused_, msg.sender);
    }

    /// @notice Stops registration of new twins and every sale and usage of all twins.
    /// Requirements: the caller holds `PAUSER_ROLE`.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts {pause}.
    /// Requirements: the caller holds `PAUSER_ROLE`.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc ITwinRegistry
    function twinOwner(uint256 twinId) external view returns (address) {
        return _requireTwin(twinId);
    }

    /// @inheritdoc ITwinRegistry
    function isTwinActive(uint256 twinId) external view returns (bool) {
        return _ownerOf(twinId) != address(0) && !_twins[twinId].paused && !paused();
    }

    /// @inheritdoc ITwinRegistry
    function splitOf(uint256 twinId)
        external
        view
        returns (address[] memory recipients, uint16[] memory sharesBps, uint32 version)
    {
        _requireTwin(twinId);
        Twin storage twin = _twins[twinId];
        return (twin.recipients, twin.sharesBps, twin.splitVersion);
    }

    /// @notice Registration record of twin `twinId`.
    /// @return provenanceHash Hash of the capture the twin was made from.
    /// @return registrar Account that minted the twin.
    /// @return registeredAt Block timestamp of the mint.
    /// @return paused_ Whether the owner has paused the twin.
    function twinRecord(uint256 twinId)
        external
        view
        returns (bytes32 provenanceHash, address registrar, uint64 registeredAt, bool paused_)
    {
        _requireTwin(twinId);
        Twin storage twin = _twins[twinId];
        return (twin.provenanceHash, twin.registrar, twin.registeredAt, twin.paused);
    }

    /// @notice Twin id that carries `provenanceHash`, or 0 when none does.
    function twinByProvenance(bytes32 provenanceHash) external view returns (uint256) {
        return _twinByProvenance[provenanceHash];
    }

    /// @notice Number of twins minted so far; twin ids run from 1 to this number.
    function totalTwins() external view returns (uint256) {
        return _lastTwinId;
    }

    /// @inheritdoc ERC721
    function tokenURI(uint256 twinId) public view override returns (string memory) {
        _requireTwin(twinId);
        return _twins[twinId].metadataURI;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, AccessControl, IERC165)
        returns (bool)
    {
        return interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }

    function _setSplit(uint256 twinId, address[] calldata recipients, uint16[] calldata sharesBps) private {
        uint256 count = recipients.length;
        if (count == 0) revert TwinRegistrySplitEmpty();
        if (count > MAX_SPLIT_RECIPIENTS) revert TwinRegistrySplitTooLarge(count, MAX_SPLIT_RECIPIENTS);
        if (sharesBps.length != count) revert TwinRegistrySplitLengthMismatch(count, sharesBps.length);

        uint256 sum = 0;
        for (uint256 i = 0; i < count; ++i) {
            address recipient = recipients[i];
            if (recipient == address(0)) revert TwinRegistrySplitZeroRecipient(i);
            if (sharesBps[i] == 0) revert TwinRegistrySplitZeroShare(i, recipient);
            // Quadratic, but over at most 16 entries: cheaper than a scratch mapping.
            for (uint256 j = 0; j < i; ++j) {
                if (recipients[j] == recipient) revert TwinRegistrySplitDuplicateRecipient(recipient, j, i);
            }
            sum += sharesBps[i];
        }
        if (sum != TOTAL_SHARES_BPS) revert TwinRegistrySplitSumInvalid(sum, TOTAL_SHARES_BPS);

        Twin storage twin = _twins[twinId];
        twin.recipients = recipients;
        twin.sharesBps = sharesBps;
        uint32 version = ++twin.splitVersion;
        emit SplitChanged(twinId, version, recipients, sharesBps);
    }

    function _requireTwin(uint256 twinId) private view returns (address owner) {
        owner = _ownerOf(twinId);
        if (owner == address(0)) revert TwinRegistryUnknownTwin(twinId);
    }
}
