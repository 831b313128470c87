// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";
import {LedgerTypes} from "./libraries/LedgerTypes.sol";

/// @title ConsentRegistry: the model's explicit, scoped and revocable consent to use a twin.
/// @notice A consent grant is the digital-replica agreement's consent part: it states the channels,
/// territories, AI uses, purpose, remuneration and validity that the model agrees to, and a notice
/// period after revocation. License terms name the grant that covers them; without a live grant
/// that covers them, terms cannot be published and licenses cannot be sold. A revocation stops new
/// sales at once and usages under licenses already sold when the notice period ends. A revoked
/// grant stays revoked: reinstating takes a new grant.
///
/// The twin's owner acts directly, or signs an EIP-712 message that anyone may submit. The action
/// (grant or revocation) is part of the signed type, nonces are consumed per signer, the domain
/// binds the chain id and this contract, signatures expire at their deadline, and malleable ECDSA
/// signatures are rejected (OpenZeppelin ECDSA). Smart-contract wallets sign through ERC-1271.
contract ConsentRegistry is EIP712, Nonces, IConsentRegistry {
    /// @notice Longest notice period a grant may state.
    uint64 public constant MAX_NOTICE_PERIOD = 365 days;

    bytes32 public constant CONSENT_GRANT_TYPEHASH = keccak256(
        "ConsentGrant(uint256 twinId,uint32 mediaMask,uint256[4] territories,uint8 aiUseMask,string purpose,"
        "string remuneration,uint64 validFrom,uint64 validUntil,uint64 noticePeriod,uint256 nonce,uint64 deadline)"
    );
    bytes32 public constant CONSENT_REVOCATION_TYPEHASH =
        keccak256("ConsentRevocation(uint256 consentId,uint256 nonce,uint64 deadline)");

    /// @notice A consent grant as the model signs it.
    /// @param purpose What the twin may be used for, in plain words.
    /// @param remuneration How the model is paid for the uses covered, in plain words.
    /// @param nonce The signer's next nonce; ignored when the owner calls {grantConsent} directly.
    /// @param deadline Last second at which the signature is valid; ignored on a direct call.
    struct ConsentGrant {
        uint256 twinId;
        uint32 mediaMask;
        uint256[4] territories;
        uint8 aiUseMask;
        string purpose;
        string remuneration;
        uint64 validFrom;
        uint64 validUntil;
        uint64 noticePeriod;
        uint256 nonce;
        uint64 deadline;
    }

    struct Consent {
        uint256 twinId;
        address grantor;
        uint32 mediaMask;
        uint8 aiUseMask;
        uint64 validFrom;
        uint64 validUntil;
        uint64 noticePeriod;
        uint64 revokedAt;
        bytes32 grantHash;
        uint256[4] territories;
    }

    ITwinRegistry public immutable registry;

    mapping(uint256 consentId => Consent) private _consents;
    uint256 private _lastConsentId;

    /// @notice Emitted with the whole grant as signed. `grantHash` is its EIP-712 struct hash.
    event ConsentGranted(
        uint256 indexed consentId, uint256 indexed twinId, address indexed grantor, ConsentGrant grant, bytes32 grantHash
    );
    /// @notice Emitted when a grant is revoked; usages stop at `usableUntil`.
    event ConsentRevoked(
        uint256 indexed consentId, uint256 indexed twinId, address indexed revokedBy, uint64 revokedAt, uint64 usableUntil
    );

    error ConsentRegistryUnknownConsent(uint256 consentId);
    error ConsentRegistryNotTwinOwner(uint256 twinId, address account, address owner);
    error ConsentRegistryInvalidSignature(address expectedSigner);
    error ConsentRegistrySignatureExpired(uint64 deadline, uint256 timestamp);
    error ConsentRegistryEmptyMediaScope();
    error ConsentRegistryUnknownMedia(uint32 mediaMask);
    error ConsentRegistryEmptyTerritories();
    error ConsentRegistryInvalidTerritory(uint256 code);
    error ConsentRegistryUnknownAiUse(uint8 aiUseMask);
    error ConsentRegistryInvalidValidity(uint64 validFrom, uint64 validUntil, uint256 timestamp);
    error ConsentRegistryNoticePeriodTooLong(uint64 noticePeriod, uint64 max);
    error ConsentRegistryEmptyPurpose();
    error ConsentRegistryAlreadyRevoked(uint256 consentId, uint64 revokedAt);
    error ConsentRegistryConsentRevoked(uint256 consentId, uint64 revokedAt);
    error ConsentRegistryConsentExpired(uint256 consentId, uint64 validUntil, uint256 timestamp);
    error ConsentRegistryWrongTwin(uint256 consentId, uint256 consentTwinId, uint256 twinId);
    error ConsentRegistryMediaNotCovered(uint256 consentId, uint32 requested, uint32 granted);
    error ConsentRegistryTerritoriesNotCovered(uint256 consentId);
    error ConsentRegistryAiUseNotCovered(uint256 consentId, uint8 requested, uint8 granted);
    error ConsentRegistryWindowNotCovered(uint256 consentId, uint64 start, uint64 end, uint64 validFrom, uint64 validUntil);

    constructor(ITwinRegistry registry_) EIP712("TwinLedger Consent", "1") {
        registry = registry_;
    }

    /// @notice Records a consent grant made by the caller, the owner of `grant.twinId`.
    /// `grant.nonce` and `grant.deadline` are ignored: the transaction is the signature.
    /// Requirements: the caller owns the twin; the grant is valid (see {_validateGrant}).
    /// Emits {ConsentGranted}.
    /// @return consentId The new grant's id, starting at 1.
    function grantConsent(ConsentGrant calldata grant) external returns (uint256 consentId) {
        _requireOwner(grant.twinId, msg.sender);
        return _grant(grant, msg.sender);
    }

    /// @notice Records a consent grant signed by the owner of `grant.twinId` (EIP-712 `ConsentGrant`).
    /// Anyone may submit it.
    /// Requirements: the signature is the current owner's, unexpired, with the owner's next nonce.
    /// Emits {ConsentGranted}.
    function grantConsentWithSignature(ConsentGrant calldata grant, bytes calldata signature)
        external
        returns (uint256 consentId)
    {
        address owner = registry.twinOwner(grant.twinId);
        _checkDeadline(grant.deadline);
        _verify(owner, _hashTypedDataV4(_hashGrant(grant)), signature);
        _useCheckedNonce(owner, grant.nonce);
        return _grant(grant, owner);
    }

    /// @notice Revokes consent `consentId`: no license under it is sold from now on, and usages
    /// under licenses already sold stop when the grant's notice period ends.
    /// Requirements: the caller owns the grant's twin; the grant is not revoked yet.
    /// Emits {ConsentRevoked}.
    function revokeConsent(uint256 consentId) external {
        Consent storage consent = _requireConsent(consentId);
        _requireOwner(consent.twinId, msg.sender);
        _revoke(consentId, consent, msg.sender);
    }

    /// @notice Revokes consent `consentId` with the twin owner's EIP-712 `ConsentRevocation`
    /// signature. Anyone may submit it.
    /// Requirements: as for {revokeConsent}, plus an unexpired signature with the owner's next nonce.
    /// Emits {ConsentRevoked}.
    function revokeConsentWithSignature(uint256 consentId, uint256 nonce, uint64 deadline, bytes calldata signature)
        external
    {
        Consent storage consent = _requireConsent(consentId);
        address owner = registry.twinOwner(consent.twinId);
        _checkDeadline(deadline);
        bytes32 structHash = keccak256(abi.encode(CONSENT_REVOCATION_TYPEHASH, consentId, nonce, deadline));
        _verify(owner, _hashTypedDataV4(structHash), signature);
        _useCheckedNonce(owner, nonce);
        _revoke(consentId, consent, owner);
    }

    /// @inheritdoc IConsentRegistry
    function requireCoverage(
        uint256 consentId,
        uint256 twinId,
        uint32 mediaMask,
        uint256[4] calldata territories,
        uint8 aiUseMask,
        uint64 start,
        uint64 end
    ) external view {
        Consent storage consent = _requireConsent(consentId);
        if (consent.twinId != twinId) revert ConsentRegistryWrongTwin(consentId, consent.twinId, twinId);
        if (consent.revokedAt != 0) revert ConsentRegistryConsentRevoked(consentId, consent.revokedAt);
        if (block.timestamp >= consent.validUntil) {
            revert ConsentRegistryConsentExpired(consentId, consent.validUntil, block.timestamp);
        }
        if (mediaMask & ~consent.mediaMask != 0) {
            revert ConsentRegistryMediaNotCovered(consentId, mediaMask, consent.mediaMask);
        }
        if (!LedgerTypes.isTerritorySubset(territories, consent.territories)) {
            revert ConsentRegistryTerritoriesNotCovered(consentId);
        }
        if (aiUseMask & ~consent.aiUseMask != 0) {
            revert ConsentRegistryAiUseNotCovered(consentId, aiUseMask, consent.aiUseMask);
        }
        if (start < consent.validFrom || end > consent.validUntil) {
            revert ConsentRegistryWindowNotCovered(consentId, start, end, consent.validFrom, consent.validUntil);
        }
    }

    /// @inheritdoc IConsentRegistry
    function usageWindow(uint256 consentId) external view returns (uint64 validFrom, uint64 usableUntil) {
        Consent storage consent = _requireConsent(consentId);
        return (consent.validFrom, _usableUntil(consent));
    }

    /// @notice Stored record of consent `consentId`.
    function consentOf(uint256 consentId) external view returns (Consent memory) {
        return _requireConsent(consentId);
    }

    /// @notice Number of grants recorded; consent ids run from 1 to this number.
    function totalConsents() external view returns (uint256) {
        return _lastConsentId;
    }

    /// @notice EIP-712 digest that the twin's owner signs to make `grant`.
    function grantDigest(ConsentGrant calldata grant) external view returns (bytes32) {
        return _hashTypedDataV4(_hashGrant(grant));
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _grant(ConsentGrant calldata grant, address grantor) private returns (uint256 consentId) {
        _validateGrant(grant);
        bytes32 grantHash = _hashGrant(grant);

        consentId = ++_lastConsentId;
        Consent storage consent = _consents[consentId];
        consent.twinId = grant.twinId;
        consent.grantor = grantor;
        consent.mediaMask = grant.mediaMask;
        consent.aiUseMask = grant.aiUseMask;
        consent.validFrom = grant.validFrom;
        consent.validUntil = grant.validUntil;
        consent.noticePeriod = grant.noticePeriod;
        consent.grantHash = grantHash;
        consent.territories = grant.territories;
        emit ConsentGranted(consentId, grant.twinId, grantor, grant, grantHash);
    }

    function _revoke(uint256 consentId, Consent storage consent, address revokedBy) private {
        if (consent.revokedAt != 0) revert ConsentRegistryAlreadyRevoked(consentId, consent.revokedAt);
        consent.revokedAt = uint64(block.timestamp);
        emit ConsentRevoked(consentId, consent.twinId, revokedBy, consent.revokedAt, _usableUntil(consent));
    }

    /// @dev Checks every field of a grant, in the order of the struct.
    function _validateGrant(ConsentGrant calldata grant) private view {
        if (grant.mediaMask == 0) revert ConsentRegistryEmptyMediaScope();
        if (grant.mediaMask & ~LedgerTypes.ALL_CHANNELS_MASK != 0) revert ConsentRegistryUnknownMedia(grant.mediaMask);
        uint256[4] memory territories = grant.territories;
        if (LedgerTypes.isTerritoryEmpty(territories)) revert ConsentRegistryEmptyTerritories();
        (bool invalid, uint256 code) = LedgerTypes.findInvalidTerritory(territories);
        if (invalid) revert ConsentRegistryInvalidTerritory(code);
        if (grant.aiUseMask & ~LedgerTypes.ALL_AI_USES_MASK != 0) revert ConsentRegistryUnknownAiUse(grant.aiUseMask);
        if (bytes(grant.purpose).length == 0) revert ConsentRegistryEmptyPurpose();
        if (grant.validUntil <= grant.validFrom || grant.validUntil <= block.timestamp) {
            revert ConsentRegistryInvalidValidity(grant.validFrom, grant.validUntil, block.timestamp);
        }
        if (grant.noticePeriod > MAX_NOTICE_PERIOD) {
            revert ConsentRegistryNoticePeriodTooLong(grant.noticePeriod, MAX_NOTICE_PERIOD);
        }
    }

    function _hashGrant(ConsentGrant calldata grant) private pure returns (bytes32) {
        // Split in two encodings to stay within the stack limit; the result is the standard
        // EIP-712 struct hash of ConsentGrant.
        bytes memory head = abi.encode(
            CONSENT_GRANT_TYPEHASH,
            grant.twinId,
            grant.mediaMask,
            keccak256(abi.encodePacked(grant.territories)),
            grant.aiUseMask,
            keccak256(bytes(grant.purpose)),
            keccak256(bytes(grant.remuneration))
        );
        bytes memory tail = abi.encode(grant.validFrom, grant.validUntil, grant.noticePeriod, grant.nonce, grant.deadline);
        return keccak256(bytes.concat(head, tail));
    }

    function _usableUntil(Consent storage consent) private view returns (uint64) {
        if (consent.revokedAt == 0) return consent.validUntil;
        uint64 noticeEnd = consent.revokedAt + consent.noticePeriod;
        return noticeEnd < consent.validUntil ? noticeEnd : consent.validUntil;
    }

    function _requireConsent(uint256 consentId) private view returns (Consent storage consent) {
        consent = _consents[consentId];
        if (consent.grantor == address(0)) revert ConsentRegistryUnknownConsent(consentId);
    }

    function _requireOwner(uint256 twinId, address account) private view {
        address owner = registry.twinOwner(twinId);
        if (owner != account) revert ConsentRegistryNotTwinOwner(twinId, account, owner);
    }

    function _checkDeadline(uint64 deadline) private view {
        if (block.timestamp > deadline) revert ConsentRegistrySignatureExpired(deadline, block.timestamp);
    }

    function _verify(address signer, bytes32 digest, bytes calldata signature) private view {
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, digest, signature)) {
            revert ConsentRegistryInvalidSignature(signer);
        }
    }
}
