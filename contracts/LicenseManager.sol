// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {ILicenseManager} from "./interfaces/ILicenseManager.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";
import {LedgerTypes} from "./libraries/LedgerTypes.sol";

/// @title LicenseManager: license terms, purchases and license tokens.
/// @notice A twin's owner publishes license terms under a consent grant that covers them; a brand
/// buys a license under published terms and receives a license token (ERC-721). The upfront fee
/// goes to the twin's payout split through the payment vault at once. License tokens move only
/// when their terms allow it, and answer ERC-2981 with the vault as royalty receiver, so that a
/// resale pays the twin's split (through {PaymentVault-payResaleRoyalty}).
///
/// Exclusivity: an exclusive license excludes every other license of the same twin whose
/// channels, territories and window overlap it while it is active (before its end). A purchase
/// that would overlap an active exclusive license, or an exclusive purchase that would overlap any
/// active license, is rejected with the conflicting license's id.
/// @dev Terms and license ids start at 1; id 0 names nothing. The exclusivity check walks the
/// twin's licenses: an exclusive purchase costs gas in proportion to the number of licenses ever
/// sold for the twin, a non-exclusive one in proportion to its exclusive licenses.
contract LicenseManager is ERC721, ERC2981, ReentrancyGuard, ILicenseManager {
    /// @notice How far in the past a new terms' start may lie. A start further back is almost
    /// always a duration passed where a timestamp was meant.
    uint64 public constant START_MARGIN = 1 days;
    /// @notice Highest resale royalty that terms may set, in basis points.
    uint16 public constant MAX_RESALE_ROYALTY_BPS = 5_000;

    struct TermsRecord {
        LedgerTypes.Terms terms;
        address publisher;
        bool onSale;
    }

    ITwinRegistry public immutable registry;
    IConsentRegistry public immutable consents;
    IPaymentVault public immutable vault;

    mapping(uint256 termsId => TermsRecord) private _terms;
    mapping(uint256 licenseId => LedgerTypes.License) private _licenses;
    mapping(uint256 twinId => uint256[]) private _licensesOfTwin;
    mapping(uint256 twinId => uint256[]) private _exclusiveLicensesOfTwin;
    mapping(uint256 licenseId => bool) private _transferable;
    uint256 private _lastTermsId;
    uint256 private _lastLicenseId;

    /// @notice Emitted with the whole terms when the twin's owner publishes them.
    event TermsPublished(uint256 indexed termsId, uint256 indexed twinId, address indexed publisher, LedgerTypes.Terms terms);
    /// @notice Emitted when the owner changes the prices of terms on sale; licenses sold keep theirs.
    event TermsPriceChanged(uint256 indexed termsId, uint256 indexed twinId, uint256 upfrontFee, uint256 pricePerUse);
    /// @notice Emitted when the owner takes terms off sale.
    event TermsWithdrawn(uint256 indexed termsId, uint256 indexed twinId);
    /// @notice Emitted with the whole license when a brand buys it.
    event LicensePurchased(
        uint256 indexed licenseId,
        uint256 indexed twinId,
        address indexed licensee,
        LedgerTypes.License license,
        uint256 upfrontFee,
        bool paidFromDeposit
    );

    error LicenseManagerUnknownTerms(uint256 termsId);
    error LicenseManagerUnknownLicense(uint256 licenseId);
    error LicenseManagerNotTwinOwner(uint256 twinId, address caller, address owner);
    error LicenseManagerTwinNotActive(uint256 twinId);
    error LicenseManagerCurrencyNotAllowed(address currency);
    error LicenseManagerUnknownUsageUnit(uint8 usageUnit);
    error LicenseManagerEndNotAfterStart(uint64 start, uint64 end);
    error LicenseManagerStartTooFarInPast(uint64 start, uint256 timestamp, uint64 margin);
    error LicenseManagerEndInPast(uint64 end, uint256 timestamp);
    error LicenseManagerEmptyMediaScope();
    error LicenseManagerUnknownMedia(uint32 mediaMask);
    error LicenseManagerEmptyTerritories();
    error LicenseManagerInvalidTerritory(uint256 code);
    error LicenseManagerUnknownAiUse(uint8 aiUseMask);
    error LicenseManagerRoyaltyTooHigh(uint16 resaleRoyaltyBps, uint16 max);
    error LicenseManagerMissingLegalText();
    error LicenseManagerTermsNotOnSale(uint256 termsId);
    error LicenseManagerTermsEnded(uint256 termsId, uint64 end, uint256 timestamp);
    error LicenseManagerUpfrontFeeAboveMaximum(uint256 termsId, uint256 upfrontFee, uint256 maxUpfrontFee);
    error LicenseManagerPricePerUseAboveMaximum(uint256 termsId, uint256 pricePerUse, uint256 maxPricePerUse);
    error LicenseManagerUnexpectedEth(uint256 sent);
    error LicenseManagerExclusivityConflict(uint256 conflictingLicenseId);
    error LicenseManagerNonTransferable(uint256 licenseId);

    constructor(ITwinRegistry registry_, IConsentRegistry consents_, IPaymentVault vault_)
        ERC721("TwinLedger License", "TWINLIC")
    {
        registry = registry_;
        consents = consents_;
        vault = vault_;
    }

    // ----------------------------------------------------------------------------------------
    // Terms
    // ----------------------------------------------------------------------------------------

    /// @notice Publishes license terms for twin `terms.twinId`. Every field is checked here, never at
    /// payment time.
    /// Requirements:
    /// - the caller owns the twin and the twin is active;
    /// - `currency` is allowed by the vault and `usageUnit` is a known unit;
    /// - `start < end`, `end` in the future and `start` no more than {START_MARGIN} in the past;
    /// - a non-empty, known media scope and AI-use mask, a non-empty set of valid territories;
    /// - a royalty of at most {MAX_RESALE_ROYALTY_BPS}, a legal-text hash;
    /// - consent `consentId` is live and covers the channels, territories, AI uses and window.
    /// Emits {TermsPublished}.
    /// @return termsId The new terms' id, starting at 1.
    function publishTerms(LedgerTypes.Terms calldata terms) external returns (uint256 termsId) {
        _requireTwinOwner(terms.twinId, msg.sender);
        _validateTerms(terms);
        consents.requireCoverage(
            terms.consentId, terms.twinId, terms.mediaMask, terms.territories, terms.aiUseMask, terms.start, terms.end
        );

        termsId = ++_lastTermsId;
        TermsRecord storage record = _terms[termsId];
        record.terms = terms;
        record.publisher = msg.sender;
        record.onSale = true;
        emit TermsPublished(termsId, terms.twinId, msg.sender, terms);
    }

    /// @notice Changes the prices of terms `termsId`. Licenses already sold keep the prices they were
    /// sold at; a buyer's maximum-price guard protects a purchase in flight.
    /// Requirements: the caller owns the twin; the terms are on sale.
    /// Emits {TermsPriceChanged}.
    function setTermsPrice(uint256 termsId, uint256 upfrontFee, uint256 pricePerUse) external {
        TermsRecord storage record = _requireTermsOnSale(termsId);
        _requireTwinOwner(record.terms.twinId, msg.sender);
        record.terms.upfrontFee = upfrontFee;
        record.terms.pricePerUse = pricePerUse;
        emit TermsPriceChanged(termsId, record.terms.twinId, upfrontFee, pricePerUse);
    }

    /// @notice Takes terms `termsId` off sale. Licenses already sold keep their terms.
    /// Requirements: the caller owns the twin; the terms are on sale.
    /// Emits {TermsWithdrawn}.
    function withdrawTerms(uint256 termsId) external {
        TermsRecord storage record = _requireTermsOnSale(termsId);
        _requireTwinOwner(record.terms.twinId, msg.sender);
        record.onSale = false;
        emit TermsWithdrawn(termsId, record.terms.twinId);
    }

    // ----------------------------------------------------------------------------------------
    // Purchase
    // ----------------------------------------------------------------------------------------

    /// @notice Buys a license under terms `termsId` for the caller, paying the upfront fee in the
    /// terms' currency: sent along as ETH, pulled as an ERC-20 approved to the vault, or, with
    /// `payFromDeposit`, taken from the caller's deposit in the vault. A fee of zero moves no money.
    /// Requirements:
    /// - the terms are on sale, not ended, and the twin is active;
    /// - the upfront fee and price per use do not exceed `maxUpfrontFee` and `maxPricePerUse`;
    /// - the consent behind the terms is still live and covers them;
    /// - the purchase conflicts with no active exclusive license (see the contract documentation);
    /// - ETH sent equals the fee when paying in ETH directly, and is zero otherwise.
    /// Emits {LicensePurchased}, ERC-721 `Transfer` and the vault's payment events.
    /// @dev Warning: terms stay on sale when the twin token changes hands, because a sale checks the
    /// twin and its consent but not who published the terms. A new owner who does not want them
    /// calls {withdrawTerms}.
    /// @return licenseId The new license's id, starting at 1.
    function buyLicense(uint256 termsId, uint256 maxUpfrontFee, uint256 maxPricePerUse, bool payFromDeposit)
        external
        payable
        nonReentrant
        returns (uint256 licenseId)
    {
        TermsRecord storage record = _requireTermsOnSale(termsId);
        LedgerTypes.Terms storage terms = record.terms;
        uint256 twinId = terms.twinId;
        if (!registry.isTwinActive(twinId)) revert LicenseManagerTwinNotActive(twinId);
        if (block.timestamp >= terms.end) revert LicenseManagerTermsEnded(termsId, terms.end, block.timestamp);
        uint256 fee = terms.upfrontFee;
        if (fee > maxUpfrontFee) revert LicenseManagerUpfrontFeeAboveMaximum(termsId, fee, maxUpfrontFee);
        if (terms.pricePerUse > maxPricePerUse) {
            revert LicenseManagerPricePerUseAboveMaximum(termsId, terms.pricePerUse, maxPricePerUse);
        }
        consents.requireCoverage(
            terms.consentId, twinId, terms.mediaMask, terms.territories, terms.aiUseMask, terms.start, terms.end
        );
        _requireNoExclusivityConflict(terms);

        licenseId = ++_lastLicenseId;
        LedgerTypes.License storage license = _licenses[licenseId];
        license.termsId = termsId;
        license.twinId = twinId;
        license.consentId = terms.consentId;
        license.currency = terms.currency;
        license.start = terms.start;
        license.end = terms.end;
        license.maxUses = terms.maxUses;
        license.mediaMask = terms.mediaMask;
        license.exclusive = terms.exclusive;
        license.pricePerUse = terms.pricePerUse;
        license.territories = terms.territories;
        _licensesOfTwin[twinId].push(licenseId);
        if (terms.exclusive) _exclusiveLicensesOfTwin[twinId].push(licenseId);
        _transferable[licenseId] = terms.transferable;
        if (terms.resaleRoyaltyBps != 0) _setTokenRoyalty(licenseId, address(vault), terms.resaleRoyaltyBps);
        _mint(msg.sender, licenseId);
        emit LicensePurchased(licenseId, twinId, msg.sender, license, fee, payFromDeposit);

        _collectFee(twinId, terms.currency, fee, payFromDeposit, licenseId);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @notice Terms `termsId`, whether they are on sale and who published them.
    function termsOf(uint256 termsId)
        external
        view
        returns (LedgerTypes.Terms memory terms, bool onSale, address publisher)
    {
        TermsRecord storage record = _requireTerms(termsId);
        return (record.terms, record.onSale, record.publisher);
    }

    /// @notice License `licenseId` as sold.
    function licenseOf(uint256 licenseId) external view returns (LedgerTypes.License memory) {
        return _requireLicense(licenseId);
    }

    /// @inheritdoc ILicenseManager
    function licenseForUsage(uint256 licenseId)
        external
        view
        returns (address holder, LedgerTypes.License memory license)
    {
        license = _requireLicense(licenseId);
        holder = _ownerOf(licenseId);
    }

    /// @inheritdoc ILicenseManager
    function licenseTwinAndHolder(uint256 licenseId) external view returns (uint256 twinId, address holder) {
        return (_requireLicense(licenseId).twinId, _ownerOf(licenseId));
    }

    /// @notice Ids of every license sold for twin `twinId`, oldest first.
    function licensesOfTwin(uint256 twinId) external view returns (uint256[] memory) {
        return _licensesOfTwin[twinId];
    }

    /// @notice Whether license `licenseId`'s token may change hands.
    function isTransferable(uint256 licenseId) external view returns (bool) {
        _requireLicense(licenseId);
        return _transferable[licenseId];
    }

    /// @notice Number of terms published; terms ids run from 1 to this number.
    function totalTerms() external view returns (uint256) {
        return _lastTermsId;
    }

    /// @notice Number of licenses sold; license ids run from 1 to this number.
    function totalLicenses() external view returns (uint256) {
        return _lastLicenseId;
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, ERC2981) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    /// @dev Blocks transfers of non-transferable licenses; mints and burns pass.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0) && !_transferable[tokenId]) {
            revert LicenseManagerNonTransferable(tokenId);
        }
        return super._update(to, tokenId, auth);
    }

    function _collectFee(uint256 twinId, address currency, uint256 fee, bool payFromDeposit, uint256 licenseId) private {
        uint8 kind = 0; // PaymentVault.KIND_LICENSE_FEE
        if (fee == 0 || payFromDeposit) {
            if (msg.value != 0) revert LicenseManagerUnexpectedEth(msg.value);
            if (fee != 0) vault.chargeDeposit(msg.sender, currency, fee, twinId, kind, licenseId);
            return;
        }
        // The vault checks that msg.value matches an ETH fee and is zero for an ERC-20 fee.
        vault.collectPayment{value: msg.value}(msg.sender, currency, fee, twinId, kind, licenseId);
    }

    function _validateTerms(LedgerTypes.Terms calldata terms) private view {
        if (!registry.isTwinActive(terms.twinId)) revert LicenseManagerTwinNotActive(terms.twinId);
        if (!vault.isCurrencyAllowed(terms.currency)) revert LicenseManagerCurrencyNotAllowed(terms.currency);
        if (terms.usageUnit >= LedgerTypes.UNIT_COUNT) revert LicenseManagerUnknownUsageUnit(terms.usageUnit);
        if (terms.end <= terms.start) revert LicenseManagerEndNotAfterStart(terms.start, terms.end);
        if (uint256(terms.start) + START_MARGIN < block.timestamp) {
            revert LicenseManagerStartTooFarInPast(terms.start, block.timestamp, START_MARGIN);
        }
        if (terms.end <= block.timestamp) revert LicenseManagerEndInPast(terms.end, block.timestamp);
        if (terms.mediaMask == 0) revert LicenseManagerEmptyMediaScope();
        if (terms.mediaMask & ~LedgerTypes.ALL_CHANNELS_MASK != 0) revert LicenseManagerUnknownMedia(terms.mediaMask);
        uint256[4] memory territories = terms.territories;
        if (LedgerTypes.isTerritoryEmpty(territories)) revert LicenseManagerEmptyTerritories();
        (bool invalid, uint256 code) = LedgerTypes.findInvalidTerritory(territories);
        if (invalid) revert LicenseManagerInvalidTerritory(code);
        if (terms.aiUseMask & ~LedgerTypes.ALL_AI_USES_MASK != 0) revert LicenseManagerUnknownAiUse(terms.aiUseMask);
        if (terms.resaleRoyaltyBps > MAX_RESALE_ROYALTY_BPS) {
            revert LicenseManagerRoyaltyTooHigh(terms.resaleRoyaltyBps, MAX_RESALE_ROYALTY_BPS);
        }
        if (terms.legalTextHash == bytes32(0)) revert LicenseManagerMissingLegalText();
    }

    function _requireNoExclusivityConflict(LedgerTypes.Terms storage terms) private view {
        uint256[] storage candidates =
            terms.exclusive ? _licensesOfTwin[terms.twinId] : _exclusiveLicensesOfTwin[terms.twinId];
        uint256 count = candidates.length;
        for (uint256 i = 0; i < count; ++i) {
            LedgerTypes.License storage other = _licenses[candidates[i]];
            if (other.end <= block.timestamp) continue;
            bool overlaps = terms.start < other.end && other.start < terms.end
                && terms.mediaMask & other.mediaMask != 0
                && LedgerTypes.territoriesOverlap(terms.territories, other.territories);
            if (overlaps) revert LicenseManagerExclusivityConflict(candidates[i]);
        }
    }

    function _requireTwinOwner(uint256 twinId, address account) private view {
        address owner = registry.twinOwner(twinId);
        if (owner != account) revert LicenseManagerNotTwinOwner(twinId, account, owner);
    }

    function _requireTerms(uint256 termsId) private view returns (TermsRecord storage record) {
        record = _terms[termsId];
        if (record.publisher == address(0)) revert LicenseManagerUnknownTerms(termsId);
    }

    function _requireTermsOnSale(uint256 termsId) private view returns (TermsRecord storage record) {
        record = _requireTerms(termsId);
        if (!record.onSale) revert LicenseManagerTermsNotOnSale(termsId);
    }

    function _requireLicense(uint256 licenseId) private view returns (LedgerTypes.License storage license) {
        license = _licenses[licenseId];
        if (license.termsId == 0) revert LicenseManagerUnknownLicense(licenseId);
    }
}
