// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";

/// @title PaymentVault: deposits, payout splits and pull withdrawals, in ETH and allow-listed ERC-20s.
/// @notice Holds every token of TwinLedger. Brands deposit funds for usage fees; the licensing and
/// usage contracts (holding `LEDGER_ROLE`) charge those deposits or collect payments, and the vault
/// credits each payment to the twin's payout split. Recipients withdraw their credits themselves:
/// no payment is ever pushed to a recipient while a payment is credited.
///
/// Conservation: for every currency, the vault's balance equals {totalDeposits} plus {totalCredits}
/// (more only if someone forces ETH in without a call, which no function credits).
///
/// Rounding rule: the vault keeps, per twin, currency and split version, the cumulative amount
/// charged `G` and each recipient's cumulative credit `c_i`. After a payment, every recipient's
/// cumulative credit is at least `floor(G * share_i / 10000)`; the units left over (fewer than the
/// number of recipients) go one each to the recipients furthest below their exact share
/// `G * share_i / 10000`, the lower index first on a tie. So each payment is credited in full, and
/// each recipient's cumulative credit stays within one unit of its exact share of everything
/// charged under that split, however small each payment is. A split change starts new totals.
contract PaymentVault is AccessControl, Pausable, ReentrancyGuard, IPaymentVault {
    using SafeERC20 for IERC20;

    bytes32 public constant LEDGER_ROLE = keccak256("LEDGER_ROLE");
    bytes32 public constant CURRENCY_ADMIN_ROLE = keccak256("CURRENCY_ADMIN_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Currency id of ether.
    address public constant ETH = address(0);

    /// @notice Kinds of payment, carried by {PaymentSplit}.
    uint8 public constant KIND_LICENSE_FEE = 0;
    uint8 public constant KIND_USAGE_FEE = 1;
    uint8 public constant KIND_RESALE_ROYALTY = 2;

    uint256 private constant _BPS = 10_000;

    struct SplitAccount {
        uint32 splitVersion;
        uint256 gross;
        uint256[] credited;
    }

    ITwinRegistry public immutable registry;

    mapping(address currency => bool) private _allowedCurrencies;
    mapping(address account => mapping(address currency => uint256)) private _deposits;
    mapping(address account => mapping(address currency => uint256)) private _credits;
    mapping(address currency => uint256) private _totalDeposits;
    mapping(address currency => uint256) private _totalCredits;
    mapping(uint256 twinId => mapping(address currency => SplitAccount)) private _splitAccounts;

    event CurrencyAllowanceChanged(address indexed currency, bool allowed);
    /// @notice Emitted when `funder` deposits `amount` for `account`; `amount` is what the vault received.
    event Deposited(address indexed account, address indexed currency, address indexed funder, uint256 amount);
    /// @notice Emitted when `account` takes back `amount` of its unspent deposit, sent to `to`.
    event DepositWithdrawn(address indexed account, address indexed currency, address indexed to, uint256 amount);
    /// @notice Emitted when a ledger contract takes `amount` from `account`'s deposit for `twinId`.
    event DepositCharged(
        address indexed account, address indexed currency, uint256 indexed twinId, uint256 amount, uint8 kind, uint256 licenseId
    );
    /// @notice Emitted once per payment, before its {Credited} events.
    event PaymentSplit(
        uint256 indexed twinId,
        address indexed currency,
        address indexed payer,
        uint256 amount,
        uint8 kind,
        uint256 licenseId,
        uint32 splitVersion
    );
    /// @notice Emitted for every recipient that a payment credits with a non-zero amount.
    event Credited(uint256 indexed twinId, address indexed recipient, address indexed currency, uint256 amount);
    /// @notice Emitted when `account` withdraws `amount` of its credits, sent to `to`.
    event Withdrawn(address indexed account, address indexed currency, address indexed to, uint256 amount);

    error PaymentVaultCurrencyNotAllowed(address currency);
    error PaymentVaultZeroAmount();
    error PaymentVaultZeroAddress();
    error PaymentVaultEthAmountMismatch(uint256 expected, uint256 sent);
    error PaymentVaultEthNotExpected(uint256 sent);
    error PaymentVaultTransferAmountMismatch(address token, uint256 expected, uint256 received);
    error PaymentVaultNothingReceived(address token, uint256 amount);
    error PaymentVaultInsufficientDeposit(address account, address currency, uint256 available, uint256 required);
    error PaymentVaultInsufficientBalance(address account, address currency, uint256 available, uint256 requested);
    error PaymentVaultEthTransferFailed(address to, uint256 amount);
    error PaymentVaultUnknownKind(uint8 kind);

    /// @param admin Account that receives the admin, currency-admin and pauser roles.
    /// @param registry_ Twin registry whose payout splits the vault pays.
    constructor(address admin, ITwinRegistry registry_) {
        registry = registry_;
        _allowedCurrencies[ETH] = true;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CURRENCY_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        emit CurrencyAllowanceChanged(ETH, true);
    }

    // ----------------------------------------------------------------------------------------
    // Administration
    // ----------------------------------------------------------------------------------------

    /// @notice Adds an ERC-20 token to the allow-list or removes it. Removing a token stops new
    /// deposits, terms and payments in it; balances already held can still be withdrawn.
    /// Requirements: the caller holds `CURRENCY_ADMIN_ROLE`; `token` is not ETH's id.
    /// Emits {CurrencyAllowanceChanged}.
    function setCurrencyAllowed(address token, bool allowed) external onlyRole(CURRENCY_ADMIN_ROLE) {
        if (token == ETH) revert PaymentVaultZeroAddress();
        _allowedCurrencies[token] = allowed;
        emit CurrencyAllowanceChanged(token, allowed);
    }

    /// @notice Stops deposits and payments. Withdrawals keep working while paused.
    /// Requirements: the caller holds `PAUSER_ROLE`.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts {pause}.
    /// Requirements: the caller holds `PAUSER_ROLE`.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ----------------------------------------------------------------------------------------
    // Deposits
    // ----------------------------------------------------------------------------------------

    /// @notice Deposits `amount` of `currency` for `account`, to pay usage fees from later.
    /// For ETH send exactly `amount` along. For an ERC-20, approve the vault first; the deposit
    /// credits what the vault actually received, so a fee-on-transfer token credits less than
    /// `amount` and never more than the vault holds.
    /// Requirements: `currency` is allowed, `amount` and `account` are not zero, not paused.
    /// Emits {Deposited} with the amount received.
    function deposit(address account, address currency, uint256 amount) external payable nonReentrant whenNotPaused {
        if (account == address(0)) revert PaymentVaultZeroAddress();
        if (amount == 0) revert PaymentVaultZeroAmount();
        _requireAllowed(currency);
        uint256 received = _receive(msg.sender, currency, amount, false);

        _deposits[account][currency] += received;
        _totalDeposits[currency] += received;
        emit Deposited(account, currency, msg.sender, received);
    }

    /// @notice Sends `amount` of the caller's unspent deposit in `currency` to `to`.
    /// Requirements: the deposit covers `amount`; `amount` and `to` are not zero.
    /// Emits {DepositWithdrawn} before the transfer.
    function withdrawDeposit(address currency, uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert PaymentVaultZeroAddress();
        if (amount == 0) revert PaymentVaultZeroAmount();
        uint256 available = _deposits[msg.sender][currency];
        if (available < amount) revert PaymentVaultInsufficientDeposit(msg.sender, currency, available, amount);

        unchecked {
            _deposits[msg.sender][currency] = available - amount;
        }
        _totalDeposits[currency] -= amount;
        emit DepositWithdrawn(msg.sender, currency, to, amount);
        _send(currency, to, amount);
    }

    // ----------------------------------------------------------------------------------------
    // Withdrawals of credits
    // ----------------------------------------------------------------------------------------

    /// @notice Sends `amount` of the caller's credited balance in `currency` to `to`. A recipient that
    /// cannot take ETH can name another address as `to`.
    /// Requirements: the balance covers `amount`; `amount` and `to` are not zero.
    /// Emits {Withdrawn} before the transfer.
    function withdraw(address currency, uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert PaymentVaultZeroAddress();
        if (amount == 0) revert PaymentVaultZeroAmount();
        uint256 available = _credits[msg.sender][currency];
        if (available < amount) revert PaymentVaultInsufficientBalance(msg.sender, currency, available, amount);

        unchecked {
            _credits[msg.sender][currency] = available - amount;
        }
        _totalCredits[currency] -= amount;
        emit Withdrawn(msg.sender, currency, to, amount);
        _send(currency, to, amount);
    }

    // ----------------------------------------------------------------------------------------
    // Payments (ledger contracts and resale royalties)
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IPaymentVault
    /// @dev Requirements: the caller holds `LEDGER_ROLE`, `currency` is allowed, the deposit covers
    /// `amount`, not paused. A zero `amount` returns at once and checks nothing.
    /// Emits {DepositCharged}, {PaymentSplit} and one {Credited} per recipient credited.
    function chargeDeposit(address payer, address currency, uint256 amount, uint256 twinId, uint8 kind, uint256 licenseId)
        external
        onlyRole(LEDGER_ROLE)
        whenNotPaused
    {
        if (amount == 0) return;
        // Without this check a removed currency would still pay licenses and usages from deposits,
        // while every other payment in it is rejected.
        _requireAllowed(currency);
        uint256 available = _deposits[payer][currency];
        if (available < amount) revert PaymentVaultInsufficientDeposit(payer, currency, available, amount);

        unchecked {
            _deposits[payer][currency] = available - amount;
        }
        _totalDeposits[currency] -= amount;
        emit DepositCharged(payer, currency, twinId, amount, kind, licenseId);
        _creditSplit(twinId, currency, amount, payer, kind, licenseId);
    }

    /// @inheritdoc IPaymentVault
    /// @dev For an ERC-20 the payer must have approved the vault; the vault must receive exactly
    /// `amount`, so a fee-on-transfer token cannot pay.
    /// Requirements: the caller holds `LEDGER_ROLE`, `currency` is allowed, not paused.
    /// Emits {PaymentSplit} and one {Credited} per recipient credited.
    function collectPayment(address payer, address currency, uint256 amount, uint256 twinId, uint8 kind, uint256 licenseId)
        external
        payable
        onlyRole(LEDGER_ROLE)
        nonReentrant
        whenNotPaused
    {
        _requireAllowed(currency);
        _receive(payer, currency, amount, true);
        _creditSplit(twinId, currency, amount, payer, kind, licenseId);
    }

    /// @notice Pays a resale royalty for license `licenseId` of twin `twinId` into the twin's payout
    /// split. License tokens name the vault as their ERC-2981 royalty receiver; a marketplace pays by
    /// calling this function, sending ETH along or having approved the vault for the ERC-20.
    /// Requirements: `currency` allowed, `amount` not zero, the twin exists, not paused.
    /// Emits {PaymentSplit} and one {Credited} per recipient credited.
    /// @dev Warning: the vault does not check that `licenseId` exists or licenses `twinId`, because it
    /// has no reference to the license contract. The payer pays the twin's split in full either way,
    /// so a wrong id misleads only a reader of {PaymentSplit}.
    function payResaleRoyalty(uint256 twinId, uint256 licenseId, address currency, uint256 amount)
        external
        payable
        nonReentrant
        whenNotPaused
    {
        if (amount == 0) revert PaymentVaultZeroAmount();
        _requireAllowed(currency);
        _receive(msg.sender, currency, amount, true);
        _creditSplit(twinId, currency, amount, msg.sender, KIND_RESALE_ROYALTY, licenseId);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IPaymentVault
    function isCurrencyAllowed(address currency) external view returns (bool) {
        return _allowedCurrencies[currency];
    }

    /// @notice Unspent deposit of `account` in `currency`.
    function depositOf(address account, address currency) external view returns (uint256) {
        return _deposits[account][currency];
    }

    /// @notice Credited, not yet withdrawn balance of `account` in `currency`.
    function balanceOf(address account, address currency) external view returns (uint256) {
        return _credits[account][currency];
    }

    /// @notice Sum of all unspent deposits in `currency`.
    function totalDeposits(address currency) external view returns (uint256) {
        return _totalDeposits[currency];
    }

    /// @notice Sum of all credited, not yet withdrawn balances in `currency`.
    function totalCredits(address currency) external view returns (uint256) {
        return _totalCredits[currency];
    }

    /// @notice Running totals of twin `twinId`'s payments in `currency` under its current split
    /// account: the split version they follow, the cumulative amount charged and each recipient's
    /// cumulative credit, in the order of the split's recipients.
    function splitAccount(uint256 twinId, address currency)
        external
        view
        returns (uint32 splitVersion, uint256 gross, uint256[] memory credited)
    {
        SplitAccount storage account = _splitAccounts[twinId][currency];
        return (account.splitVersion, account.gross, account.credited);
    }

    /// @notice Rejects plain ETH transfers: ETH enters only through {deposit} and the payment
    /// functions, so that every wei is accounted for.
    /// @dev Warning: license tokens name this vault as their ERC-2981 royalty receiver, so a
    /// marketplace that sends the royalty as a plain ETH transfer fails. It must call
    /// {payResaleRoyalty} instead.
    receive() external payable {
        revert PaymentVaultEthNotExpected(msg.value);
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    function _requireAllowed(address currency) private view {
        if (!_allowedCurrencies[currency]) revert PaymentVaultCurrencyNotAllowed(currency);
    }

    /// @dev Takes `amount` into the vault and returns what arrived. ETH must come as `msg.value`;
    /// an ERC-20 is pulled from `from` and measured by balance difference. With `exact`, anything
    /// but the full amount reverts. `from` is `msg.sender` except in {collectPayment}, where only a
    /// `LEDGER_ROLE` contract names the payer, and the license contract names its own caller.
    function _receive(address from, address currency, uint256 amount, bool exact) private returns (uint256) {
        if (currency == ETH) {
            if (msg.value != amount) revert PaymentVaultEthAmountMismatch(amount, msg.value);
            return amount;
        }
        if (msg.value != 0) revert PaymentVaultEthNotExpected(msg.value);
        if (amount == 0) return 0;
        IERC20 token = IERC20(currency);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received == 0) revert PaymentVaultNothingReceived(currency, amount);
        if (exact && received != amount) revert PaymentVaultTransferAmountMismatch(currency, amount, received);
        return received;
    }

    /// @dev `to` is chosen by the caller of {withdraw} or {withdrawDeposit}, who can send only its own
    /// balance, reduced before this call under `nonReentrant`.
    function _send(address currency, address to, uint256 amount) private {
        if (currency == ETH) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert PaymentVaultEthTransferFailed(to, amount);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
    }

    /// @dev Credits `amount` to the payout split of `twinId` under the rounding rule stated in the
    /// contract documentation.
    function _creditSplit(uint256 twinId, address currency, uint256 amount, address payer, uint8 kind, uint256 licenseId)
        private
    {
        if (kind > KIND_RESALE_ROYALTY) revert PaymentVaultUnknownKind(kind);
        if (amount == 0) return;
        (address[] memory recipients, uint16[] memory shares, uint32 version) = registry.splitOf(twinId);

        SplitAccount storage account = _splitAccounts[twinId][currency];
        if (account.splitVersion != version) {
            // A new split starts new running totals: the old ones were settled in full.
            account.splitVersion = version;
            account.gross = 0;
            account.credited = new uint256[](recipients.length);
        }
        uint256 gross = account.gross + amount;
        uint256[] memory totals = _cumulativeTotals(account.credited, shares, gross);
        account.gross = gross;
        _totalCredits[currency] += amount;
        emit PaymentSplit(twinId, currency, payer, amount, kind, licenseId, version);

        for (uint256 i = 0; i < recipients.length; ++i) {
            uint256 credit = totals[i] - account.credited[i];
            if (credit == 0) continue;
            account.credited[i] = totals[i];
            _credits[recipients[i]][currency] += credit;
            emit Credited(twinId, recipients[i], currency, credit);
        }
    }

    /// @dev Each recipient's cumulative credit after the running total reaches `gross`: at least
    /// its previous credit and at least the floor of its exact share, with the leftover units given
    /// one each to the recipients furthest below their exact share.
    function _cumulativeTotals(uint256[] storage credited, uint16[] memory shares, uint256 gross)
        private
        view
        returns (uint256[] memory totals)
    {
        uint256 count = shares.length;
        totals = new uint256[](count);
        uint256 assigned = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint256 floorShare = (gross * shares[i]) / _BPS;
            uint256 previous = credited[i];
            totals[i] = previous > floorShare ? previous : floorShare;
            assigned += totals[i];
        }
        // Fewer than `count` units remain: every total is at least its floor, and the floors miss
        // the gross by less than one unit per recipient. Each pass lowers the chosen deficit below
        // zero, so no recipient gets two of them.
        uint256 remaining = gross - assigned;
        while (remaining > 0) {
            uint256 best = 0;
            int256 bestDeficit = type(int256).min;
            for (uint256 i = 0; i < count; ++i) {
                // Exact share minus current total, scaled by 10,000 to stay in integers.
                int256 deficit = int256(gross * shares[i]) - int256(totals[i] * _BPS);
                if (deficit > bestDeficit) {
                    bestDeficit = deficit;
                    best = i;
                }
            }
            totals[best] += 1;
            --remaining;
        }
    }
}
