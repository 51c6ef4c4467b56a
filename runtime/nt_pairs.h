/*
 * nt_pairs.h — bf16_pairs (and f16_pairs, below), a container codec for BF16 tensors: the exponents of two neighbouring
 * words coded as one symbol (tANS, a model per stream), 64 lanes in one bit stream, each word's
 * sign and mantissa as a raw byte. One table step gives two words, and on processors with
 * AVX-512 sixteen lanes decode at once (a gather of their cells, a prefix sum of their bit
 * counts; 8 with AVX2). The layout is in spec/container.md (codec 8).
 *
 * The functions follow the generated API (T_encode, T_decode) so that the container takes the
 * codec as one of its pairs: words are passed as bytes (little-endian uint16), results that are
 * errors are told apart by nt_pairs_is_error.
 */
#ifndef NT_PAIRS_H
#define NT_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#define NT_PAIRS_LANES 64      /* lanes: step i (words 2i and 2i + 1) belongs to lane i mod 64 */
#define NT_PAIRS_MAX_EXPONENTS 64 /* a stream with more distinct exponents is not coded */

size_t nt_pairs_compress_bound(size_t n);
/* Codes n bf16 words (src, n * 2 bytes) into dst; returns the bytes written or an error (also when
 * the words have more than NT_PAIRS_MAX_EXPONENTS distinct exponents, or their pairs more than a
 * table holds). */
size_t nt_pairs_encode(void *dst, size_t cap, const void *src, size_t n);
/* Decodes a stream of exactly n words into dst; returns n or an error. */
size_t nt_pairs_decode(void *dst, size_t n, const void *src, size_t size);
/* Decodes a stream of n words as the high halves of n F32 words at dst (n * 4 bytes), their low
 * halves from two byte planes lo[0 .. n - 1] (bits 7..0) and lo[n .. 2n - 1] (bits 15..8), as
 * codec fp32_planes keeps them; returns n or an error. */
size_t nt_pairs_decode_f32(void *dst, size_t n, const void *src, size_t size, const uint8_t *lo);
/* The order-0 bound of coding n words so, in bits: the entropy of the steps' symbols plus 8 raw
 * bits a word (-1 when they cannot be coded: more than NT_PAIRS_MAX_EXPONENTS exponents). */
double nt_pairs_bound_bits(const void *src, size_t n);
/* f16_pairs: the same for float16 words (codec 9): the 5-bit exponents of two words one symbol,
 * each word's low mantissa byte raw, its sign and mantissa bits 9 and 8 in three bit planes. */
size_t nt_pairs_f16_compress_bound(size_t n);
size_t nt_pairs_f16_encode(void *dst, size_t cap, const void *src, size_t n);
size_t nt_pairs_f16_decode(void *dst, size_t n, const void *src, size_t size);
double nt_pairs_f16_bound_bits(const void *src, size_t n);
int nt_pairs_is_error(size_t r);
/* The widest vector loop decoding may use, where the processor has it (tests, benchmarks):
 * 2 AVX-512 (the default), 1 AVX2, 0 none (the scalar loop). */
void nt_pairs_use_simd(int level);
const char *nt_pairs_error_name(size_t r);

#endif
