// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IVaultWithdraw {
    function withdraw(address currency, uint256 amount, address to) external;
}

/// @title EthRejecter: a payout recipient that rejects every ETH transfer.
contract EthRejecter {
    error EthRejecterRejected();

    /// @notice Withdraws from `vault` to `to`, for a recipient that must route ETH elsewhere.
    function withdrawFrom(IVaultWithdraw vault, address currency, uint256 amount, address to) external {
        vault.withdraw(currency, amount, to);
    }

    receive() external payable {
        revert EthRejecterRejected();
    }
}

/// @title ReentrantRecipient: a payout recipient that calls withdraw again while receiving ETH.
contract ReentrantRecipient {
    IVaultWithdraw public vault;
    uint256 public reentryAttempts;
    bool public lastReentrySucceeded;

    function attack(IVaultWithdraw vault_, uint256 amount) external {
        vault = vault_;
        vault_.withdraw(address(0), amount, address(this));
    }

    receive() external payable {
        if (reentryAttempts == 0) {
            ++reentryAttempts;
            // The reentrant call must fail; record the result instead of bubbling it up.
            (bool ok,) = address(vault).call(abi.encodeCall(IVaultWithdraw.withdraw, (address(0), msg.value, address(this))));
            lastReentrySucceeded = ok;
        }
    }
}
