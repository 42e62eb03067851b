// The SHA-256 compression function on the CPU's SHA extensions (Intel SHA-NI: SHA256RNDS2, SHA256MSG1,
// SHA256MSG2), which Swift cannot reach: it has no intrinsics. Shared/Crypto/SHA256.swift is the only caller; it
// asks CSHA256_has_sha_extensions once and keeps its own Swift compression function for CPUs without them.
#ifndef PRTY_CSHA256_H
#define PRTY_CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU executes SHA-NI and the SSSE3/SSE4.1 instructions around it (CPUID leaf 7 EBX bit 29, leaf 1
/// ECX bits 9 and 19), else 0; always 0 on a processor that is not x86.
int CSHA256_has_sha_extensions(void);

/// Compresses `count` 64-byte blocks at `blocks` into `state` (FIPS 180-4 §6.2.2, H0…H7 in order). Call it only
/// where CSHA256_has_sha_extensions() returned 1; elsewhere it leaves `state` unchanged.
void CSHA256_compress(uint32_t state[8], const void *blocks, size_t count);
#endif
