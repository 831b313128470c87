// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestSmartWallet: a minimal ERC-1271 wallet whose signer is one externally owned account.
contract TestSmartWallet is IERC1271 {
    address public immutable signer;

    error TestSmartWalletNotSigner(address caller);
    error TestSmartWalletCallFailed(bytes returnData);

    constructor(address signer_) {
        signer = signer_;
    }

    /// @notice Calls `target` with `data` on the signer's behalf.
    function execute(address target, bytes calldata data) external payable returns (bytes memory) {
        if (msg.sender != signer) revert TestSmartWalletNotSigner(msg.sender);
        (bool ok, bytes memory result) = target.call{value: msg.value}(data);
        if (!ok) revert TestSmartWalletCallFailed(result);
        return result;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecover(hash, signature);
        if (error == ECDSA.RecoverError.NoError && recovered == signer) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    receive() external payable {}
}
