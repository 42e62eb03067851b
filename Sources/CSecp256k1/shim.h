// libsecp256k1 (Debian libsecp256k1-dev 0.2, the 0.2-style context API) with recoverable signatures,
// which Ethereum transaction signing needs. No variadics here: Swift calls these functions directly.
#ifndef PRTY_CSECP256K1_SHIM_H
#define PRTY_CSECP256K1_SHIM_H
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#endif
