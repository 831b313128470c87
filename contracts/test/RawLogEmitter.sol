// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title RawLogEmitter: emits logs with any topic and data, for tests of the event indexer.
/// @dev Its ABI declares no event, so no TwinLedger ABI decodes what it emits. With a known
/// topic and malformed data it imitates a log that matches an event but does not decode.
contract RawLogEmitter {
    /// @notice Emits one log with the single topic `topic` and the bytes `data`.
    function emitRaw(bytes32 topic, bytes calldata data) external {
        assembly ("memory-safe") {
            let pointer := mload(0x40)
            calldatacopy(pointer, data.offset, data.length)
            log1(pointer, data.length, topic)
        }
    }
}
