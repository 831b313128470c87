"""Plain sentences for decoded contract errors, for API responses, CLI output and rejected usages.

The chain layer names the custom error and its arguments (``UsageLedgerUsesExhausted(index=3, ...)``);
this module says the same in words. Errors without a sentence here get one built from their name.
"""

from __future__ import annotations

import re
from typing import Any

from eth_utils import keccak

from twinledger.chain import ETH as _ETH
from twinledger.errors import ContractRevertError, TwinLedgerError
from twinledger.services import _vocabulary as vocabulary

__all__ = ["describe_error"]

_SENTENCES = {
    "TwinRegistryUnknownTwin": "Twin {twinId} does not exist.",
    "TwinRegistryNotTwinOwner": "Account {caller} does not own twin {twinId}; its owner is {owner}.",
    "TwinRegistryDuplicateProvenance": "Provenance hash {provenanceHash} is already registered as twin {existingTwinId}.",
    "TwinRegistrySplitSumInvalid": "The split's shares sum to {sum} basis points; they must sum to exactly {required}.",
    "TwinRegistrySplitTooLarge": "The split names {count} recipients; at most {max} are allowed.",
    "TwinRegistrySplitDuplicateRecipient": "Recipient {recipient} appears twice in the split (positions {firstIndex} and {secondIndex}).",
    "TwinRegistrySplitZeroShare": "Recipient {recipient} at position {index} has a share of zero; remove it or give it a share.",
    "AccessControlUnauthorizedAccount": (
        "Account {account} lacks {neededRole}, which this action needs; an account with DEFAULT_ADMIN_ROLE on the "
        "contract can grant it."
    ),
    "LicenseManagerUnknownTerms": "License terms {termsId} do not exist.",
    "LicenseManagerUnknownLicense": "License {licenseId} does not exist.",
    "LicenseManagerNotTwinOwner": "Account {caller} does not own twin {twinId}; its owner is {owner}.",
    "LicenseManagerTwinNotActive": "Twin {twinId} is paused and cannot be licensed now.",
    "LicenseManagerTermsNotOnSale": "License terms {termsId} are no longer on sale.",
    "LicenseManagerTermsEnded": "License terms {termsId} ended at {end}; buy under current terms.",
    "LicenseManagerExclusivityConflict": "The purchase overlaps exclusive license {conflictingLicenseId} in channels, territories and time.",
    "LicenseManagerUpfrontFeeAboveMaximum": "The upfront fee of terms {termsId} is now {upfrontFee}, above your maximum of {maxUpfrontFee}; quote again.",
    "LicenseManagerPricePerUseAboveMaximum": "The price per use of terms {termsId} is now {pricePerUse}, above your maximum of {maxPricePerUse}; quote again.",
    "LicenseManagerCurrencyNotAllowed": "Currency {currency} is not on the vault's allow-list; use ETH or an allowed token.",
    "LicenseManagerEndInPast": "The terms end at {end}, which is already past (chain time {timestamp}).",
    "LicenseManagerEndNotAfterStart": "The terms end ({end}) is not after their start ({start}).",
    "LicenseManagerStartTooFarInPast": "The terms start ({start}) lies more than a day in the past; pass a Unix timestamp in seconds.",
    "ConsentRegistryUnknownConsent": "Consent {consentId} does not exist.",
    "ConsentRegistryNotTwinOwner": "Account {account} does not own twin {twinId}; its owner is {owner}.",
    "ConsentRegistryWrongTwin": "Consent {consentId} belongs to twin {consentTwinId}, not twin {twinId}.",
    "ConsentRegistryMediaNotCovered": (
        "Consent {consentId} does not cover the channel(s) {missing}: the request names {requested} and the consent "
        "grants {granted}. Keep to the consent's channels or ask the model for a consent that covers them."
    ),
    "ConsentRegistryTerritoriesNotCovered": "Consent {consentId} does not cover every requested territory.",
    "ConsentRegistryAiUseNotCovered": (
        "Consent {consentId} does not cover the AI use(s) {missing}: the request names {requested} and the consent "
        "grants {granted}. Keep to the consent's AI uses or ask the model for a consent that covers them."
    ),
    "ConsentRegistryWindowNotCovered": "Consent {consentId} does not cover the window from {start} to {end}.",
    "ConsentRegistryConsentRevoked": "Consent {consentId} was revoked at {revokedAt}.",
    "ConsentRegistryConsentExpired": "Consent {consentId} expired at {validUntil}.",
    "PaymentVaultInsufficientDeposit": "The deposit of {account} in {currency} is {available}, less than the {required} required; deposit more.",
    "PaymentVaultInsufficientBalance": "The credited balance of {account} in {currency} is {available}, less than the {requested} requested.",
    "PaymentVaultCurrencyNotAllowed": "Currency {currency} is not on the vault's allow-list; use ETH or an allowed token.",
    "PaymentVaultZeroAmount": "The amount is zero; pass an amount above zero.",
    "PaymentVaultEthAmountMismatch": "The ETH sent ({sent}) differs from the amount ({expected}).",
    "UsageLedgerNotLicenseHolder": "Account {caller} neither holds license {licenseId} nor is approved by its holder {holder}.",
    "UsageLedgerSequenceMismatch": "License {licenseId} expects batch sequence {expected}, not {given}.",
    "UsageLedgerLicenseNotStarted": "License {licenseId} starts at {start}; chain time is {timestamp}.",
    "UsageLedgerLicenseExpired": "License {licenseId} ended at {end}; chain time is {timestamp}. Buy a new license.",
    "UsageLedgerTwinNotActive": "Twin {twinId} is paused; no usage of it can be registered now.",
    "UsageLedgerConsentEnded": "Consent {consentId} no longer allows usages (usable until {usableUntil}).",
    "UsageLedgerLicenseTakenDown": "License {licenseId} is under takedown {takedownId}; no usage can be registered.",
    "UsageLedgerZeroQuantity": "Usage {index} of the batch has a quantity of zero.",
    "UsageLedgerEmptyAssetHash": "Usage {index} of the batch has an empty asset hash.",
    "UsageLedgerChannelNotLicensed": "Usage {index} of the batch names channel {channel}, which the license does not cover.",
    "UsageLedgerTerritoryNotLicensed": "Usage {index} of the batch names territory {territory}, which the license does not cover.",
    "UsageLedgerAssetTakenDown": "Usage {index} of the batch is of asset {assetHash}, which is under takedown {takedownId}.",
    "UsageLedgerUsesExhausted": "Usage {index} of the batch would bring the license to {usesAfter} uses, above its maximum of {maxUses}.",
    "ConsentRegistryInvalidSignature": "The signature is not a valid signature of the twin's owner {expectedSigner} over this message on this chain and contract; sign the typed data again.",
    "ConsentRegistrySignatureExpired": "The signature expired at {deadline} (chain time {timestamp}); sign again with a later deadline.",
    "ConsentRegistryAlreadyRevoked": "Consent {consentId} was already revoked at {revokedAt}.",
    "ConsentRegistryEmptyMediaScope": "The consent names no channel; name at least one.",
    "ConsentRegistryEmptyTerritories": "The consent names no territory; name at least one country or region.",
    "ConsentRegistryEmptyPurpose": "The consent states no purpose; state what the twin may be used for.",
    "ConsentRegistryInvalidValidity": "The validity from {validFrom} to {validUntil} is invalid at chain time {timestamp}; the end must lie after the start and in the future.",
    "ConsentRegistryNoticePeriodTooLong": "The notice period of {noticePeriod} seconds exceeds the maximum of {max} seconds.",
    "InvalidAccountNonce": "The next nonce of {account} is {currentNonce}, so this signature was already used or is out of order; sign again with nonce {currentNonce}.",
    "TakedownRegistryUnknownTakedown": "Takedown {takedownId} does not exist.",
    "TakedownRegistryNotOwnerOrAgent": "Account {caller} neither owns twin {twinId} nor is one of its takedown agents.",
    "TakedownRegistryNotTwinOwner": "Account {caller} does not own twin {twinId}; its owner is {owner}.",
    "TakedownRegistryZeroAgent": "The agent is the zero address; name the agent's address.",
    "TakedownRegistryEmptyAssetHash": "The asset hash is all zeros; pass the SHA-256 of the asset file.",
    "TakedownRegistryInvalidReasonCode": "Reason code {reasonCode} is not valid; codes run from 1 to {max}.",
    "TakedownRegistryAssetAlreadyTakenDown": "Asset {assetHash} of twin {twinId} is already under takedown {takedownId}.",
    "TakedownRegistryLicenseAlreadyTakenDown": "License {licenseId} is already under takedown {takedownId}.",
    "TakedownRegistryWrongTwin": "License {licenseId} licenses twin {licenseTwinId}, not twin {twinId}.",
    "TakedownRegistryNotLicensee": "Account {caller} does not hold license {licenseId}; its holder is {holder}.",
    "TakedownRegistryWrongLicense": "Takedown {takedownId} is addressed to license {expectedLicenseId}, not license {licenseId}.",
    "TakedownRegistryInvalidStatus": "Takedown {takedownId} cannot take this step in its current status ({status}: 1 filed, 2 acknowledged, 3 removal reported, 4 withdrawn).",
    "EnforcedPause": "The contract is paused; try again once the operator resumes it.",
}


# AccessControl roles of the TwinLedger contracts by their bytes32 value: keccak-256 of the name,
# and zero for OpenZeppelin's DEFAULT_ADMIN_ROLE.
_ROLE_NAMES = {
    bytes(32): "DEFAULT_ADMIN_ROLE",
    **{keccak(text=name): name for name in ("REGISTRAR_ROLE", "PAUSER_ROLE", "LEDGER_ROLE", "CURRENCY_ADMIN_ROLE")},
}


def _role_name(role: Any) -> str:
    """Name an AccessControl role value, or show it in hex when no TwinLedger contract defines it."""
    if isinstance(role, str):
        try:
            role = bytes.fromhex(role.removeprefix("0x"))
        except ValueError:
            return role
    if isinstance(role, (bytes, bytearray)):
        return _ROLE_NAMES.get(bytes(role), f"role 0x{bytes(role).hex()}")
    return str(role)


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _scope_names(error_name: str, arguments: dict[str, Any]) -> dict[str, str]:
    """Name the channels or AI uses of a ``...NotCovered`` error's ``requested`` and ``granted`` bitmasks."""
    names_of = {
        "ConsentRegistryMediaNotCovered": vocabulary.channel_names,
        "ConsentRegistryAiUseNotCovered": vocabulary.ai_use_names,
    }.get(error_name)
    requested, granted = arguments.get("requested"), arguments.get("granted")
    if names_of is None or not isinstance(requested, int) or not isinstance(granted, int):
        return {}
    return {
        "requested": _listed(names_of(requested)),
        "granted": _listed(names_of(granted)),
        "missing": _listed(names_of(requested & ~granted)),
    }


def describe_error(error: TwinLedgerError) -> str:
    """Describe ``error`` in a plain sentence: the template for a known contract error, else its message."""
    if not isinstance(error, ContractRevertError):
        return str(error)
    arguments = {
        key: "ETH" if key == "currency" and value == _ETH else value for key, value in error.arguments.items()
    }
    arguments.update(_scope_names(error.error_name, error.arguments))
    if "neededRole" in arguments:
        arguments["neededRole"] = _role_name(arguments["neededRole"])
    template = _SENTENCES.get(error.error_name)
    if template is not None:
        try:
            return template.format(**arguments)
        except (KeyError, IndexError):
            pass
    # Fallback for errors without a template: "UsageLedgerBatchTooLarge" -> "usage ledger batch too large".
    listed = ", ".join(f"{key} {value}" for key, value in arguments.items())
    sentence = f"The contract rejected the request: {_words(error.error_name)}"
    return f"{sentence} ({listed})." if listed else f"{sentence}."
