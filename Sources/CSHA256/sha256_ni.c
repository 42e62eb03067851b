// SHA-256 block compression with the x86 SHA extensions. Each SHA256RNDS2 does two rounds on the state held as
// ABEF/CDGH halves; SHA256MSG1 and SHA256MSG2 compute the message schedule four words at a time. The layout and
// the schedule follow Intel's "Intel SHA Extensions" white paper (Gulley et al., 2013), figure 5.
#include "CSHA256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

int CSHA256_has_sha_extensions(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int sha = (ebx >> 29) & 1;
    return ssse3 && sse41 && sha;
}

// FIPS 180-4 §4.2.2, four round constants per 128-bit lane.
static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// Rounds 4i … 4i+3 with the message words in `words`: two SHA256RNDS2, the second on the high half.
#define ROUNDS_FIRST(i, words)                                                                                   \
    message = _mm_add_epi32(words, _mm_load_si128((const __m128i *)&K[4 * (i)]));                              \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, message);
#define ROUNDS_SECOND                                                                                            \
    message = _mm_shuffle_epi32(message, 0x0E);                                                                  \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, message);
// The next four schedule words: next += W[t-7] (the words straddling previous and current), then σ1's part.
#define SCHEDULE_NEXT(current, previous, next)                                                                   \
    next = _mm_add_epi32(next, _mm_alignr_epi8(current, previous, 4));                                           \
    next = _mm_sha256msg2_epu32(next, current);
// σ0's part for the words four groups ahead.
#define SCHEDULE_AHEAD(previous, current) previous = _mm_sha256msg1_epu32(previous, current);

__attribute__((target("sha,sse4.1,ssse3")))
void CSHA256_compress(uint32_t state[8], const void *data, size_t count) {
    const uint8_t *blocks = data;
    // Big-endian message words: reverse the bytes of each 32-bit lane.
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

    for (; count > 0; count--, blocks += 64) {
        const __m128i abef_saved = abef, cdgh_saved = cdgh;
        __m128i message;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 0)), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 48)), byteswap);

        ROUNDS_FIRST(0, w0) ROUNDS_SECOND
        ROUNDS_FIRST(1, w1) ROUNDS_SECOND SCHEDULE_AHEAD(w0, w1)
        ROUNDS_FIRST(2, w2) ROUNDS_SECOND SCHEDULE_AHEAD(w1, w2)
        ROUNDS_FIRST(3, w3) SCHEDULE_NEXT(w3, w2, w0) ROUNDS_SECOND SCHEDULE_AHEAD(w2, w3)
        ROUNDS_FIRST(4, w0) SCHEDULE_NEXT(w0, w3, w1) ROUNDS_SECOND SCHEDULE_AHEAD(w3, w0)
        ROUNDS_FIRST(5, w1) SCHEDULE_NEXT(w1, w0, w2) ROUNDS_SECOND SCHEDULE_AHEAD(w0, w1)
        ROUNDS_FIRST(6, w2) SCHEDULE_NEXT(w2, w1, w3) ROUNDS_SECOND SCHEDULE_AHEAD(w1, w2)
        ROUNDS_FIRST(7, w3) SCHEDULE_NEXT(w3, w2, w0) ROUNDS_SECOND SCHEDULE_AHEAD(w2, w3)
        ROUNDS_FIRST(8, w0) SCHEDULE_NEXT(w0, w3, w1) ROUNDS_SECOND SCHEDULE_AHEAD(w3, w0)
        ROUNDS_FIRST(9, w1) SCHEDULE_NEXT(w1, w0, w2) ROUNDS_SECOND SCHEDULE_AHEAD(w0, w1)
        ROUNDS_FIRST(10, w2) SCHEDULE_NEXT(w2, w1, w3) ROUNDS_SECOND SCHEDULE_AHEAD(w1, w2)
        ROUNDS_FIRST(11, w3) SCHEDULE_NEXT(w3, w2, w0) ROUNDS_SECOND SCHEDULE_AHEAD(w2, w3)
        ROUNDS_FIRST(12, w0) SCHEDULE_NEXT(w0, w3, w1) ROUNDS_SECOND SCHEDULE_AHEAD(w3, w0)
        ROUNDS_FIRST(13, w1) SCHEDULE_NEXT(w1, w0, w2) ROUNDS_SECOND
        ROUNDS_FIRST(14, w2) SCHEDULE_NEXT(w2, w1, w3) ROUNDS_SECOND
        ROUNDS_FIRST(15, w3) ROUNDS_SECOND

        abef = _mm_add_epi32(abef, abef_saved);
        cdgh = _mm_add_epi32(cdgh, cdgh_saved);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

#else

int CSHA256_has_sha_extensions(void) { return 0; }

void CSHA256_compress(uint32_t state[8], const void *data, size_t count) {
    (void)state, (void)data, (void)count;
}

#endif
