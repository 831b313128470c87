// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PaymentSplitter} from "@openzeppelin/contracts-v4/finance/PaymentSplitter.sol";

/// @title StandardTwinSplitter: OpenZeppelin 4.9's PaymentSplitter, one deployed per twin.
/// @notice Brands pay each use straight into it (ETH to {receive}, an ERC-20 by `transfer`), and
/// each payee calls `release` to take its share. It is the benchmarks' baseline, not a product contract.
contract StandardTwinSplitter is PaymentSplitter {
    /// @param payees Recipients of the split, such as the model, the agency and the studio.
    /// @param shares_ Their relative shares, for example in basis points.
    constructor(address[] memory payees, uint256[] memory shares_) PaymentSplitter(payees, shares_) {}
}
