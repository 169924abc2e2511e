// SPDX-License-Identifier: MIT OR Apache-2.0
// Minimal EIP-1271 contract wallet for the por chain tests: one owner EOA; a
// signature is valid iff ecrecover(hash, signature) is the owner.
pragma solidity ^0.8.24;

contract OwnerWallet1271 {
    bytes4 internal constant MAGIC = 0x1626ba7e;
    bytes4 internal constant INVALID = 0xffffffff;
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    receive() external payable {}

    /// Reverts on a signature that is not 65 bytes (r ‖ s ‖ v), so callers meet a
    /// real revert as well as the "invalid" return value.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        require(signature.length == 65, "signature must be 65 bytes");
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) {
            v += 27;
        }
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC : INVALID;
    }
}
