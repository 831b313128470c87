// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts-v4/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts-v4/token/common/ERC2981.sol";

/// @title StandardTwinToken: the twin token a user would build from OpenZeppelin 4.9 parts alone.
/// @notice An ERC-721 per twin with an ERC-2981 royalty that points at the twin's PaymentSplitter.
/// It is the baseline that the benchmarks compare TwinLedger with, not a product contract.
contract StandardTwinToken is ERC721, ERC2981 {
    address private immutable _minter;

    error StandardTwinTokenNotMinter(address caller);

    constructor() ERC721("Standard Twin", "STWIN") {
        _minter = msg.sender;
    }

    /// @notice Mints twin `tokenId` to `to` with a resale royalty of `royaltyBps` paid to `royaltyReceiver`.
    /// Requirements: the caller deployed this contract; `tokenId` is not minted yet.
    /// Emits {Transfer}.
    function mint(address to, uint256 tokenId, address royaltyReceiver, uint96 royaltyBps) external {
        if (msg.sender != _minter) revert StandardTwinTokenNotMinter(msg.sender);
        _mint(to, tokenId);
        _setTokenRoyalty(tokenId, royaltyReceiver, royaltyBps);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, ERC2981) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
