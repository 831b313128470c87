// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {ILicenseManager} from "./interfaces/ILicenseManager.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {ITakedownRegistry} from "./interfaces/ITakedownRegistry.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";
import {LedgerTypes} from "./libraries/LedgerTypes.sol";

/// @title UsageLedger: every use of a twin, registered against a license and paid from a deposit.
/// @notice The license holder (a brand) registers a batch of usages directly, through an operator
/// it approved for its license tokens (ERC-721 `approve` or `setApprovalForAll`, as a relayer
/// service uses), or through anyone who submits the brand's EIP-712 `UsageReport` signature. Each usage is a packed record of
/// {RECORD_SIZE} bytes:
///
/// | bytes  | field      | type    | meaning                                              |
/// |--------|------------|---------|------------------------------------------------------|
/// | 0-31   | assetHash  | bytes32 | SHA-256 of the asset file                            |
/// | 32-35  | quantity   | uint32  | units of use, in the license's unit                  |
/// | 36     | channel    | uint8   | media channel, a `LedgerTypes.CHANNEL_*` bit position |
/// | 37-38  | territory  | uint16  | ISO 3166-1 numeric country code                      |
/// | 39-54  | usageRef   | bytes16 | the brand's own id for the usage (a UUID fits)       |
///
/// Packed records cost less calldata than an ABI array of structs. A batch is checked as a whole:
/// the license inside its window, the twin active, consent not ended, no takedown of the license;
/// then each usage: quantity above zero, channel and territory in the license's scope, no takedown
/// of its asset, uses left. The first failing usage rejects the batch with an error that names its
/// index, and nothing is charged. The fee of a usage is its quantity times the license's price per
/// use; the batch's total is taken from the brand's deposit and credited to the twin's payout split
/// by the vault in one payment.
///
/// Retries are safe: each batch carries the license's next sequence number. Resubmitting the last
/// registered batch (same sequence, same records) charges nothing and emits
/// {UsageBatchAlreadyRegistered}; any other sequence is rejected. This costs one storage slot per
/// license, not one per usage.
contract UsageLedger is AccessControl, Pausable, EIP712 {
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Size of one packed usage record, in bytes.
    uint256 public constant RECORD_SIZE = 55;
    /// @notice Largest number of usages in one batch. At about 5,000 to 8,000 gas a usage, a full
    /// batch stays well below the 2^24 gas cap of a transaction.
    uint256 public constant MAX_BATCH_SIZE = 1000;

    bytes32 public constant USAGE_REPORT_TYPEHASH =
        keccak256("UsageReport(uint256 licenseId,uint64 sequence,uint64 deadline,bytes records)");

    uint8 private constant _KIND_USAGE_FEE = 1;

    struct Meter {
        uint64 nextSequence;
        uint64 usesCount;
        bytes32 lastBatchHash;
    }

    /// @dev Batch-wide values kept in memory to stay within the stack limit.
    struct BatchContext {
        uint256 licenseId;
        uint256 twinId;
        address brand;
        uint64 sequence;
        uint256 pricePerUse;
        uint32 mediaMask;
        uint32 maxUses;
        bool checkAssets;
    }

    ITwinRegistry public immutable registry;
    ILicenseManager public immutable licenses;
    IConsentRegistry public immutable consents;
    ITakedownRegistry public immutable takedowns;
    IPaymentVault public immutable vault;

    mapping(uint256 licenseId => Meter) private _meters;

    /// @notice Emitted once per usage, with every field an auditor needs.
    event UsageRegistered(
        uint256 indexed licenseId,
        bytes32 indexed assetHash,
        uint256 twinId,
        address brand,
        uint64 sequence,
        uint32 quantity,
        uint8 channel,
        uint16 territory,
        bytes16 usageRef,
        uint256 fee
    );
    /// @notice Emitted once per batch after its usages; `recordsHash` is keccak-256 of the records.
    event UsageBatchRegistered(
        uint256 indexed licenseId,
        uint256 indexed twinId,
        address indexed brand,
        uint64 sequence,
        uint256 count,
        uint256 totalQuantity,
        uint256 totalFee,
        address currency,
        bytes32 recordsHash,
        address submitter
    );
    /// @notice Emitted when the last registered batch is submitted again; nothing is charged.
    event UsageBatchAlreadyRegistered(uint256 indexed licenseId, uint64 sequence, bytes32 recordsHash, address submitter);

    error UsageLedgerNotLicenseHolder(uint256 licenseId, address caller, address holder);
    error UsageLedgerInvalidSignature(uint256 licenseId, address holder);
    error UsageLedgerSignatureExpired(uint64 deadline, uint256 timestamp);
    error UsageLedgerSequenceMismatch(uint256 licenseId, uint64 expected, uint64 given);
    error UsageLedgerEmptyBatch();
    error UsageLedgerBatchTooLarge(uint256 count, uint256 max);
    error UsageLedgerMalformedRecords(uint256 length, uint256 recordSize);
    error UsageLedgerLicenseNotStarted(uint256 licenseId, uint64 start, uint256 timestamp);
    error UsageLedgerLicenseExpired(uint256 licenseId, uint64 end, uint256 timestamp);
    error UsageLedgerTwinNotActive(uint256 twinId);
    error UsageLedgerConsentEnded(uint256 consentId, uint64 usableUntil, uint256 timestamp);
    error UsageLedgerLicenseTakenDown(uint256 licenseId, uint256 takedownId);
    error UsageLedgerZeroQuantity(uint256 index);
    error UsageLedgerEmptyAssetHash(uint256 index);
    error UsageLedgerChannelNotLicensed(uint256 index, uint8 channel, uint32 mediaMask);
    error UsageLedgerTerritoryNotLicensed(uint256 index, uint16 territory);
    error UsageLedgerAssetTakenDown(uint256 index, bytes32 assetHash, uint256 takedownId);
    error UsageLedgerUsesExhausted(uint256 index, uint256 usesAfter, uint32 maxUses);

    constructor(
        address admin,
        ITwinRegistry registry_,
        ILicenseManager licenses_,
        IConsentRegistry consents_,
        ITakedownRegistry takedowns_,
        IPaymentVault vault_
    ) EIP712("TwinLedger Usage", "1") {
        registry = registry_;
        licenses = licenses_;
        consents = consents_;
        takedowns = takedowns_;
        vault = vault_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    /// @notice Registers a batch of usages under license `licenseId` for its holder. The caller is the
    /// holder or an operator the holder approved for the license token.
    /// @param sequence The license's next sequence number ({meterOf}); the last batch's number to retry it.
    /// @param records Packed usage records, see the contract documentation.
    /// Requirements: the caller holds the license or is approved for it; the checks in the contract
    /// documentation pass; the holder's deposit in the license's currency covers the total fee; not paused.
    /// Emits {UsageRegistered} per usage, {UsageBatchRegistered}, and the vault's payment events; or
    /// only {UsageBatchAlreadyRegistered} for a retry of the last batch.
    /// @return registered False when the batch was a retry and nothing was charged.
    function registerUsages(uint256 licenseId, uint64 sequence, bytes calldata records)
        external
        whenNotPaused
        returns (bool registered)
    {
        (address holder, LedgerTypes.License memory license) = licenses.licenseForUsage(licenseId);
        if (holder != msg.sender && !_isOperator(holder, licenseId)) {
            revert UsageLedgerNotLicenseHolder(licenseId, msg.sender, holder);
        }
        return _register(licenseId, sequence, records, holder, license);
    }

    /// @notice Registers a batch of usages signed by the license holder (EIP-712 `UsageReport`);
    /// anyone may submit it, and the holder's deposit pays.
    /// Requirements: a signature by the current holder (ECDSA without malleable forms, or ERC-1271)
    /// over this chain, this contract, the license, sequence, deadline and records; the deadline not
    /// passed; otherwise as {registerUsages}.
    /// Emits as {registerUsages}.
    function registerUsagesWithSignature(
        uint256 licenseId,
        uint64 sequence,
        uint64 deadline,
        bytes calldata records,
        bytes calldata signature
    ) external whenNotPaused returns (bool registered) {
        if (block.timestamp > deadline) revert UsageLedgerSignatureExpired(deadline, block.timestamp);
        (address holder, LedgerTypes.License memory license) = licenses.licenseForUsage(licenseId);
        bytes32 digest = usageReportDigest(licenseId, sequence, deadline, records);
        if (!SignatureChecker.isValidSignatureNowCalldata(holder, digest, signature)) {
            revert UsageLedgerInvalidSignature(licenseId, holder);
        }
        return _register(licenseId, sequence, records, holder, license);
    }

    /// @notice Stops all usage registration.
    /// Requirements: the caller holds `PAUSER_ROLE`.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts {pause}.
    /// Requirements: the caller holds `PAUSER_ROLE`.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Usage counters of license `licenseId`: the sequence number the next batch must carry,
    /// the units of use registered so far and the keccak-256 of the last batch's records.
    function meterOf(uint256 licenseId) external view returns (uint64 nextSequence, uint64 usesCount, bytes32 lastBatchHash) {
        Meter storage meter = _meters[licenseId];
        return (meter.nextSequence, meter.usesCount, meter.lastBatchHash);
    }

    /// @notice EIP-712 digest that the license holder signs for a usage report.
    function usageReportDigest(uint256 licenseId, uint64 sequence, uint64 deadline, bytes calldata records)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(USAGE_REPORT_TYPEHASH, licenseId, sequence, deadline, keccak256(records)))
        );
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _register(
        uint256 licenseId,
        uint64 sequence,
        bytes calldata records,
        address brand,
        LedgerTypes.License memory license
    ) private returns (bool) {
        Meter storage meter = _meters[licenseId];
        bytes32 recordsHash = keccak256(records);
        uint64 nextSequence = meter.nextSequence;
        if (nextSequence != 0 && sequence == nextSequence - 1 && recordsHash == meter.lastBatchHash) {
            emit UsageBatchAlreadyRegistered(licenseId, sequence, recordsHash, msg.sender);
            return false;
        }
        if (sequence != nextSequence) revert UsageLedgerSequenceMismatch(licenseId, nextSequence, sequence);
        uint256 count = _countRecords(records.length);
        BatchContext memory context = _openBatch(licenseId, sequence, brand, license);

        (uint256 usesAfter, uint256 totalQuantity) =
            _registerRecords(context, license.territories, records, count, meter.usesCount);

        meter.nextSequence = sequence + 1;
        meter.usesCount = uint64(usesAfter);
        meter.lastBatchHash = recordsHash;
        uint256 totalFee = totalQuantity * license.pricePerUse;
        emit UsageBatchRegistered(
            licenseId, license.twinId, brand, sequence, count, totalQuantity, totalFee, license.currency, recordsHash, msg.sender
        );

        vault.chargeDeposit(brand, license.currency, totalFee, license.twinId, _KIND_USAGE_FEE, licenseId);
        return true;
    }

    /// @dev Runs the checks that hold for the whole batch (every usage in it shares the block's
    /// time) and returns the values that the per-usage loop reads.
    function _openBatch(uint256 licenseId, uint64 sequence, address brand, LedgerTypes.License memory license)
        private
        view
        returns (BatchContext memory context)
    {
        if (block.timestamp < license.start) revert UsageLedgerLicenseNotStarted(licenseId, license.start, block.timestamp);
        if (block.timestamp >= license.end) revert UsageLedgerLicenseExpired(licenseId, license.end, block.timestamp);
        if (!registry.isTwinActive(license.twinId)) revert UsageLedgerTwinNotActive(license.twinId);
        // The consent's start needs no check: the sale required `license.start >= validFrom`.
        (, uint64 usableUntil) = consents.usageWindow(license.consentId);
        if (block.timestamp >= usableUntil) revert UsageLedgerConsentEnded(license.consentId, usableUntil, block.timestamp);
        (uint256 licenseTakedownId, bool twinHasAssetTakedowns) = takedowns.usageBlockers(license.twinId, licenseId);
        if (licenseTakedownId != 0) revert UsageLedgerLicenseTakenDown(licenseId, licenseTakedownId);

        context = BatchContext({
            licenseId: licenseId,
            twinId: license.twinId,
            brand: brand,
            sequence: sequence,
            pricePerUse: license.pricePerUse,
            mediaMask: license.mediaMask,
            maxUses: license.maxUses,
            checkAssets: twinHasAssetTakedowns
        });
    }

    function _isOperator(address holder, uint256 licenseId) private view returns (bool) {
        IERC721 tokens = IERC721(address(licenses));
        return tokens.isApprovedForAll(holder, msg.sender) || tokens.getApproved(licenseId) == msg.sender;
    }

    function _countRecords(uint256 length) private pure returns (uint256 count) {
        if (length == 0) revert UsageLedgerEmptyBatch();
        if (length % RECORD_SIZE != 0) revert UsageLedgerMalformedRecords(length, RECORD_SIZE);
        count = length / RECORD_SIZE;
        if (count > MAX_BATCH_SIZE) revert UsageLedgerBatchTooLarge(count, MAX_BATCH_SIZE);
    }

    function _registerRecords(
        BatchContext memory context,
        uint256[4] memory territories,
        bytes calldata records,
        uint256 count,
        uint256 usesBefore
    ) private returns (uint256 uses, uint256 totalQuantity) {
        uses = usesBefore;
        uint256 base;
        assembly ("memory-safe") {
            base := records.offset
        }
        for (uint256 i = 0; i < count; ++i) {
            bytes32 assetHash;
            uint256 tail;
            // Reading two words per record straight from calldata avoids copying the records to
            // memory. The second word may run past the last record; calldataload pads with zeros
            // and only its first 23 bytes are used.
            assembly ("memory-safe") {
                let offset := add(base, mul(i, 55))
                assetHash := calldataload(offset)
                tail := calldataload(add(offset, 32))
            }
            uint32 quantity = uint32(tail >> 224);
            uint8 channel = uint8(tail >> 216);
            uint16 territory = uint16(tail >> 200);
            bytes16 usageRef = bytes16(bytes32(tail << 56));

            if (quantity == 0) revert UsageLedgerZeroQuantity(i);
            if (assetHash == bytes32(0)) revert UsageLedgerEmptyAssetHash(i);
            if (channel >= 32 || (context.mediaMask >> channel) & 1 == 0) {
                revert UsageLedgerChannelNotLicensed(i, channel, context.mediaMask);
            }
            if (!LedgerTypes.hasTerritory(territories, territory)) revert UsageLedgerTerritoryNotLicensed(i, territory);
            if (context.checkAssets) {
                uint256 takedownId = takedowns.assetTakedownOf(context.twinId, assetHash);
                if (takedownId != 0) revert UsageLedgerAssetTakenDown(i, assetHash, takedownId);
            }
            uses += quantity;
            if (context.maxUses != 0 && uses > context.maxUses) revert UsageLedgerUsesExhausted(i, uses, context.maxUses);
            totalQuantity += quantity;

            emit UsageRegistered(
                context.licenseId,
                assetHash,
                context.twinId,
                context.brand,
                context.sequence,
                quantity,
                channel,
                territory,
                usageRef,
                uint256(quantity) * context.pricePerUse
            );
        }
    }
}
