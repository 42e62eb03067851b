// libsecp256k1 (Debian libsecp256k1-dev 0.2, the 0.2-style context API) with recoverable signatures,
// which Ethereum transaction signing needs. Swift calls the library's functions directly; the shims below only
// stand in for what Swift cannot import: the SECP256K1_CONTEXT_NONE flag is a macro built from other macros.
#ifndef PRTY_CSECP256K1_SHIM_H
#define PRTY_CSECP256K1_SHIM_H
#include <stdlib.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

/// A signing and verification context (secp256k1_context_create with SECP256K1_CONTEXT_NONE). Aborts, as the
/// library itself does, only when memory runs out.
static inline secp256k1_context *CSecp256k1_context_create_none(void) {
    secp256k1_context *context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (context == NULL) abort();
    return context;
}
#endif
