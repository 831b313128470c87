// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Shared types and scope helpers of the TwinLedger contracts.
/// @notice Media channels are bit positions in a `uint32` mask; territories are ISO 3166-1 numeric
/// country codes (1 to 999) and a territory set is a 1024-bit bitmap stored as `uint256[4]`, where
/// code `c` is bit `c % 256` of word `c / 256`. Named regions (EU, worldwide, ...) are expanded to
/// their countries before they reach the chain, so every check here is a bit test.
library LedgerTypes {
    /// @dev Channel bit positions. A usage names exactly one channel; a scope is a mask of them.
    uint8 internal constant CHANNEL_PRINT = 0;
    uint8 internal constant CHANNEL_SOCIAL = 1;
    uint8 internal constant CHANNEL_OUT_OF_HOME = 2;
    uint8 internal constant CHANNEL_WEB = 3;
    uint8 internal constant CHANNEL_VIDEO = 4;
    uint8 internal constant CHANNEL_ECOMMERCE = 5;
    uint8 internal constant CHANNEL_BROADCAST = 6;
    uint8 internal constant CHANNEL_COUNT = 7;
    uint32 internal constant ALL_CHANNELS_MASK = uint32((1 << CHANNEL_COUNT) - 1);

    /// @dev AI-use permission bits, named after the ERC-7517 vocabulary: `ai-use` (generate new
    /// images of the twin), `train-genai` (train generative models on its data) and `train-ai`
    /// (train any other model on its data).
    uint8 internal constant AI_USE = 1;
    uint8 internal constant AI_TRAIN_GENAI = 2;
    uint8 internal constant AI_TRAIN = 4;
    uint8 internal constant ALL_AI_USES_MASK = 7;

    /// @dev Unit in which a license counts uses and prices them.
    uint8 internal constant UNIT_IMAGE = 0;
    uint8 internal constant UNIT_PLACEMENT = 1;
    uint8 internal constant UNIT_THOUSAND_IMPRESSIONS = 2;
    uint8 internal constant UNIT_COUNT = 3;

    uint16 internal constant MAX_TERRITORY_CODE = 999;

    /// @notice License terms as the twin's owner publishes them: the digital-replica agreement in
    /// machine-readable form.
    /// @param twinId Twin the terms license.
    /// @param consentId Consent grant that covers the terms (its scope, window and AI uses).
    /// @param currency `address(0)` for ETH, otherwise an allow-listed ERC-20 token.
    /// @param upfrontFee Price of a license, paid at purchase, in the currency's smallest unit.
    /// @param pricePerUse Fee per unit of use, charged from the brand's deposit at each usage.
    /// @param usageUnit One of the `UNIT_*` constants.
    /// @param start First second at which a license is usable (inclusive).
    /// @param end First second at which a license is no longer usable (exclusive).
    /// @param maxUses Maximum number of units of use per license, 0 for unlimited.
    /// @param mediaMask Channels the license covers, a mask of `CHANNEL_*` bits.
    /// @param aiUseMask AI uses the license permits, a mask of `AI_*` bits.
    /// @param exclusive Whether a license excludes every other license whose channels,
    /// territories and window overlap it.
    /// @param transferable Whether the license token may change hands.
    /// @param resaleRoyaltyBps ERC-2981 royalty on a license resale, in basis points.
    /// @param legalTextHash SHA-256 of the full legal text.
    /// @param legalTextURI Where the full legal text is published.
    /// @param territories Countries the license covers, as a bitmap of ISO 3166-1 numeric codes.
    struct Terms {
        uint256 twinId;
        uint256 consentId;
        address currency;
        uint256 upfrontFee;
        uint256 pricePerUse;
        uint8 usageUnit;
        uint64 start;
        uint64 end;
        uint32 maxUses;
        uint32 mediaMask;
        uint8 aiUseMask;
        bool exclusive;
        bool transferable;
        uint16 resaleRoyaltyBps;
        bytes32 legalTextHash;
        string legalTextURI;
        uint256[4] territories;
    }

    /// @notice A license as sold: the fields that usage registration reads, copied from the terms at
    /// purchase so that a later change of the terms never alters a license already sold.
    struct License {
        uint256 termsId;
        uint256 twinId;
        uint256 consentId;
        address currency;
        uint64 start;
        uint64 end;
        uint32 maxUses;
        uint32 mediaMask;
        bool exclusive;
        uint256 pricePerUse;
        uint256[4] territories;
    }

    /// @notice Whether territory `code` is in the bitmap `territories`. Codes above 1023 are never in it.
    function hasTerritory(uint256[4] memory territories, uint256 code) internal pure returns (bool) {
        if (code > 1023) return false;
        return (territories[code >> 8] >> (code & 0xff)) & 1 == 1;
    }

    /// @notice Whether every territory of `inner` is also in `outer`.
    function isTerritorySubset(uint256[4] memory inner, uint256[4] memory outer) internal pure returns (bool) {
        for (uint256 i = 0; i < 4; ++i) {
            if (inner[i] & ~outer[i] != 0) return false;
        }
        return true;
    }

    /// @notice Whether the bitmaps `a` and `b` share at least one territory.
    function territoriesOverlap(uint256[4] memory a, uint256[4] memory b) internal pure returns (bool) {
        for (uint256 i = 0; i < 4; ++i) {
            if (a[i] & b[i] != 0) return true;
        }
        return false;
    }

    /// @notice Whether the bitmap holds no territory at all.
    function isTerritoryEmpty(uint256[4] memory territories) internal pure returns (bool) {
        return (territories[0] | territories[1] | territories[2] | territories[3]) == 0;
    }

    /// @notice The first code in the bitmap outside the valid range 1 to 999, if any.
    /// @return found True when the bitmap holds code 0 or a code from 1000 to 1023.
    /// @return code The offending code.
    function findInvalidTerritory(uint256[4] memory territories) internal pure returns (bool found, uint256 code) {
        if (territories[0] & 1 == 1) return (true, 0);
        // Codes 1000 to 1023 are the top 24 bits of the last word (1000 - 768 = 232).
        uint256 aboveRange = territories[3] >> (MAX_TERRITORY_CODE + 1 - 768);
        if (aboveRange == 0) return (false, 0);
        uint256 bit = 0;
        while ((aboveRange >> bit) & 1 == 0) ++bit;
        return (true, MAX_TERRITORY_CODE + 1 + bit);
    }
}
