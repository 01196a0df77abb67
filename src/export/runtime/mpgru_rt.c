/* mpgru_rt.c: the integer operators of exported mpgru models, bit-exact with the engine's
 * reference kernels. See mpgru_rt.h for the contract of each function. */
#include "mpgru_rt.h"

int32_t mpgru_apply_multiplier(int32_t x, mpgru_multiplier m) {
  return mpgru_apply(x, m.m0, m.shift);
}

int32_t mpgru_saturating_left_shift(int32_t x, int exponent) {
  const int64_t shifted = (int64_t)x * ((int64_t)1 << exponent); /* exact: |x| 2^31 <= 2^62 */
  if (shifted > INT32_MAX) return INT32_MAX;
  if (shifted < INT32_MIN) return INT32_MIN;
  return (int32_t)shifted;
}

/* Sign-extends the low `bits` bits of `field`. */
static int32_t mpgru_sign_extend(uint32_t field, int bits) {
  const uint32_t sign = (uint32_t)1 << (bits - 1);
  return (int32_t)(field ^ sign) - (int32_t)sign;
}

int32_t mpgru_packed_at(const uint8_t* bytes, uint32_t i, int bits) {
  const uint32_t first = i * (uint32_t)bits;
  const uint32_t offset = first & 7u;
  uint32_t field = (uint32_t)bytes[first >> 3] >> offset;
  if (offset + (uint32_t)bits > 8u) field |= (uint32_t)bytes[(first >> 3) + 1u] << (8u - offset);
  return mpgru_sign_extend(field & (((uint32_t)1 << bits) - 1u), bits);
}

/* A bit reservoir over a packed stream of BITS-bit values (BITS a constant, so every shift and
 * mask is an immediate): bytes are read only when the next field needs them, so the last byte of
 * the stream is never passed. One function per width. */
#define MPGRU_DOT_PACKED(BITS)                                                                  \
  static int32_t mpgru_dot_##BITS(const uint8_t* p, uint32_t skip, const int16_t* x, int32_t n, \
                                  int32_t sum) {                                                \
    uint32_t buffer = (uint32_t)*p++ >> skip;                                                   \
    uint32_t available = 8u - skip;                                                             \
    int32_t j;                                                                                  \
    for (j = 0; j < n; ++j) {                                                                   \
      if (available < BITS) {                                                                   \
        buffer |= (uint32_t)*p++ << available;                                                  \
        available += 8u;                                                                        \
      }                                                                                         \
      sum += mpgru_sign_extend(buffer & ((1u << BITS) - 1u), BITS) * x[j];                      \
      buffer >>= BITS;                                                                          \
      available -= BITS;                                                                        \
    }                                                                                           \
    return sum;                                                                                 \
  }
MPGRU_DOT_PACKED(2)
MPGRU_DOT_PACKED(3)
MPGRU_DOT_PACKED(4)
MPGRU_DOT_PACKED(5)
MPGRU_DOT_PACKED(6)
MPGRU_DOT_PACKED(7)

/* Byte-aligned 4-bit weights, two per byte (low nibble first), n even. */
static int32_t mpgru_dot_4_aligned(const uint8_t* p, const int16_t* x, int32_t n, int32_t sum) {
  int32_t j;
  for (j = 0; j < n; j += 2) {
    const uint32_t b = *p++;
    sum += mpgru_sign_extend(b & 15u, 4) * x[j] + mpgru_sign_extend(b >> 4, 4) * x[j + 1];
  }
  return sum;
}

/* Byte-aligned 2-bit weights, four per byte (lowest bits first), n a multiple of 4. */
static int32_t mpgru_dot_2_aligned(const uint8_t* p, const int16_t* x, int32_t n, int32_t sum) {
  int32_t j;
  for (j = 0; j < n; j += 4) {
    const uint32_t b = *p++;
    sum += mpgru_sign_extend(b & 3u, 2) * x[j] + mpgru_sign_extend((b >> 2) & 3u, 2) * x[j + 1] +
           mpgru_sign_extend((b >> 4) & 3u, 2) * x[j + 2] + mpgru_sign_extend(b >> 6, 2) * x[j + 3];
  }
  return sum;
}

int32_t mpgru_dot(const uint8_t* weights, uint32_t first_bit, int bits, const int16_t* x, int32_t n,
                  int32_t bias) {
  const uint8_t* p = weights + (first_bit >> 3);
  const uint32_t skip = first_bit & 7u;
  int32_t sum = bias;
  int32_t j;
  if (n <= 0) return sum;
  if (skip == 0u && bits == 4 && (n & 1) == 0) return mpgru_dot_4_aligned(p, x, n, sum);
  if (skip == 0u && bits == 2 && (n & 3) == 0) return mpgru_dot_2_aligned(p, x, n, sum);
  switch (bits) {
    case 2:
      return mpgru_dot_2(p, skip, x, n, sum);
    case 3:
      return mpgru_dot_3(p, skip, x, n, sum);
    case 4:
      return mpgru_dot_4(p, skip, x, n, sum);
    case 5:
      return mpgru_dot_5(p, skip, x, n, sum);
    case 6:
      return mpgru_dot_6(p, skip, x, n, sum);
    case 7:
      return mpgru_dot_7(p, skip, x, n, sum);
    default: /* 8: whole bytes, each a two's-complement weight */
      for (j = 0; j < n; ++j) sum += (int32_t)(int8_t)p[j] * x[j];
      return sum;
  }
}

/* A compiler barrier between one group of products and the next group's input load: loads
 * hoisted above it would keep more values live than the registers hold (a Cortex-M4's 13 free
 * ones for 4 sums, 4 words, the mask and the pointers; Helium's 8 vectors) and spill them. */
#if defined(__GNUC__)
#define MPGRU_IN_ORDER() __asm__ volatile("" ::: "memory")
#else
#define MPGRU_IN_ORDER() ((void)0)
#endif
#if defined(__GNUC__)
#define MPGRU_NOINLINE __attribute__((noinline))
/* An exact division by 2^n of a multiple of 2^n: GCC and Clang shift negative values
 * arithmetically (documented), one instruction; the division is the portable form. */
#define MPGRU_EXACT_SHIFT(v, n) ((v) >> (n))
#else
#define MPGRU_NOINLINE
#define MPGRU_EXACT_SHIFT(v, n) ((v) / (1 << (n)))
#endif

#if !MPGRU_MVE
/* ---- Matrix-vector products on pair words (the layout: mpgru_rt.h, mpgru_linear) ----
 *
 * MPGRU_SMLAD(a, b, acc) = acc + lo(a) lo(b) + hi(a) hi(b), the 16-bit lanes signed, modulo 2^32:
 * the Cortex-M4/M7/M33 DSP instruction where the core has it, else plain C (any C99 compiler).
 * Either way the segment sums are exact (mpgru_linear.segment), so both give the same results. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define MPGRU_SMLAD(a, b, acc) __smlad((a), (b), (acc))
#else
static int32_t mpgru_lane_lo(uint32_t v) {
  return (int32_t)(v & 0xFFFFu) - (int32_t)((v & 0x8000u) << 1);
}
static int32_t mpgru_lane_hi(uint32_t v) {
  return (int32_t)(v >> 16) - (int32_t)((v >> 15) & 0x10000u);
}
static int32_t mpgru_smlad_c(uint32_t a, uint32_t b, int32_t acc) {
  const uint32_t sum = (uint32_t)acc + (uint32_t)(mpgru_lane_lo(a) * mpgru_lane_lo(b)) +
                       (uint32_t)(mpgru_lane_hi(a) * mpgru_lane_hi(b));
  return sum <= 0x7FFFFFFFu ? (int32_t)sum : -(int32_t)(~sum) - 1;
}
#define MPGRU_SMLAD(a, b, acc) mpgru_smlad_c((a), (b), (acc))
#endif

/* Two consecutive int16 inputs as one word, x[0] in the low lane (any alignment). */
static uint32_t mpgru_input_pair(const int16_t* x) {
  return (uint32_t)(uint16_t)x[0] | ((uint32_t)(uint16_t)x[1] << 16);
}

#define MPGRU_LANE_MASK(B) ((((1u << (B)) - 1u) << (16 - (B))) * 0x00010001u)
/* The lane mask in a register: an AND with a shifted register operand is then one instruction on
 * Arm (AND Rd, Rmask, Rw, LSL #n), where a mask the compiler sees as a constant costs a separate
 * shift. An empty asm hides the value; other compilers need no such help. */
#if defined(__GNUC__) && (defined(__arm__) || defined(__thumb__))
#define MPGRU_OPAQUE(v) __asm__("" : "+r"(v))
#else
#define MPGRU_OPAQUE(v) ((void)0)
#endif

/* Pair i of the four rows' words w0..w3 against inputs x[2i], x[2i + 1]; dead for i >= 16 / B. */
#define MPGRU_PAIR4(B, i)                                        \
  if ((i) < 16 / (B)) {                                          \
    const uint32_t xv = mpgru_input_pair(x + 2 * (i));           \
    a0 = MPGRU_SMLAD(mask & (w0 << (((B) * (i)) & 31)), xv, a0); \
    a1 = MPGRU_SMLAD(mask & (w1 << (((B) * (i)) & 31)), xv, a1); \
    a2 = MPGRU_SMLAD(mask & (w2 << (((B) * (i)) & 31)), xv, a2); \
    a3 = MPGRU_SMLAD(mask & (w3 << (((B) * (i)) & 31)), xv, a3); \
    if ((B) != 4) MPGRU_IN_ORDER(); /* 4 bits: faster without */ \
  }
#define MPGRU_PAIR1(B, i)                                                                 \
  if ((i) < 16 / (B)) {                                                                   \
    a = MPGRU_SMLAD(mask & (w0 << (((B) * (i)) & 31)), mpgru_input_pair(x + 2 * (i)), a); \
  }

/* Row sums of a block: acc[u] += row u's exact dot product, for 4 rows (mpgru_block4_B) or n < 4
 * rows (mpgru_block_B, one row after another), over `words` words of each row, w the block's
 * first word, x the inputs. One segment (at most `segment` words) at a time: its scaled sums are
 * exact in int32 and are divided exactly by 2^(16 - B) before the next. */

/* One word of each of 4 rows (w0..w3 at w) against the inputs at x; advances both. */
#define MPGRU_WORD4(B)                                                              \
  {                                                                                 \
    const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];                      \
    MPGRU_PAIR4(B, 0)                                                               \
    MPGRU_PAIR4(B, 1)                                                               \
    MPGRU_PAIR4(B, 2)                                                               \
    MPGRU_PAIR4(B, 3)                                                               \
    MPGRU_PAIR4(B, 4) MPGRU_PAIR4(B, 5) MPGRU_PAIR4(B, 6) MPGRU_PAIR4(B, 7) w += 4; \
    x += 2 * (16 / (B));                                                            \
  }

/* One segment of a block of 4 rows: acc[u] = base[u] + the exact sum of row u's words, x to
 * x_end (the scaled sum divided exactly by 2^(16 - B)); base is the bias, then acc itself. Kept out
 * of line so that its loop has the registers to itself: 4 sums, 4 words, the mask, an input pair
 * and the pointers (the block loop's own variables would otherwise spill its sums). */
#define MPGRU_BLOCKS(B)                                                                       \
  static MPGRU_NOINLINE void mpgru_segment4_##B(const uint32_t* w, const int16_t* x,          \
                                                const int16_t* x_end, const int32_t* base,    \
                                                int32_t* acc) {                               \
    uint32_t mask = MPGRU_LANE_MASK(B);                                                       \
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                   \
    MPGRU_OPAQUE(mask);                                                                       \
    do MPGRU_WORD4(B) while (x != x_end);                                                     \
    acc[0] = base[0] + MPGRU_EXACT_SHIFT(a0, 16 - (B));                                       \
    acc[1] = base[1] + MPGRU_EXACT_SHIFT(a1, 16 - (B));                                       \
    acc[2] = base[2] + MPGRU_EXACT_SHIFT(a2, 16 - (B));                                       \
    acc[3] = base[3] + MPGRU_EXACT_SHIFT(a3, 16 - (B));                                       \
  }                                                                                           \
  static void mpgru_block4_##B(const uint32_t* w, const int16_t* x, int32_t words,            \
                               int32_t segment, const int32_t* bias, int32_t* acc) {          \
    const int32_t* base = bias;                                                               \
    int32_t u;                                                                                \
    for (u = 0; words == 0 && u < 4; ++u) acc[u] = bias[u];                                   \
    while (words > 0) {                                                                       \
      const int32_t run = words > segment ? segment : words;                                  \
      mpgru_segment4_##B(w, x, x + (size_t)run * (2 * (16 / (B))), base, acc);                \
      base = acc;                                                                             \
      w += 4 * (size_t)run;                                                                   \
      x += (size_t)run * (2 * (16 / (B)));                                                    \
      words -= run;                                                                           \
    }                                                                                         \
  }                                                                                           \
  static void mpgru_block_##B(const uint32_t* w, int32_t n, const int16_t* x0, int32_t words, \
                              int32_t segment, int32_t* acc) {                                \
    uint32_t mask = MPGRU_LANE_MASK(B);                                                       \
    int32_t u;                                                                                \
    MPGRU_OPAQUE(mask);                                                                       \
    for (u = 0; u < n; ++u) {                                                                 \
      const int16_t* x = x0;                                                                  \
      int32_t t = 0;                                                                          \
      while (t < words) {                                                                     \
        const int32_t end = words - t > segment ? t + segment : words;                        \
        int32_t a = 0;                                                                        \
        for (; t < end; ++t, x += 2 * (16 / (B))) {                                           \
          const uint32_t w0 = w[t * n + u];                                                   \
          MPGRU_PAIR1(B, 0)                                                                   \
          MPGRU_PAIR1(B, 1)                                                                   \
          MPGRU_PAIR1(B, 2)                                                                   \
          MPGRU_PAIR1(B, 3)                                                                   \
          MPGRU_PAIR1(B, 4) MPGRU_PAIR1(B, 5) MPGRU_PAIR1(B, 6) MPGRU_PAIR1(B, 7)             \
        }                                                                                     \
        acc[u] += MPGRU_EXACT_SHIFT(a, 16 - (B));                                             \
      }                                                                                       \
    }                                                                                         \
  }
MPGRU_BLOCKS(3)
MPGRU_BLOCKS(4)
MPGRU_BLOCKS(5)
MPGRU_BLOCKS(6)
MPGRU_BLOCKS(7)
MPGRU_BLOCKS(8)

/* Every row of a B-bit linear: full blocks of 4 rows, then the rest; the accumulators (bias
 * included) into acc[rows]. */
#define MPGRU_LINEAR_ROWS(B)                                                            \
  void mpgru_rows_##B(const mpgru_linear* l, const int16_t* x, int32_t* acc) {          \
    const int32_t words = l->words_per_row, segment = l->segment;                       \
    const uint32_t* w = l->words;                                                       \
    int32_t row = 0, c;                                                                 \
    for (; row + 4 <= l->rows; row += 4, w += 4 * (size_t)words) {                      \
      mpgru_block4_##B(w, x, words, segment, l->bias + row, acc + row);                 \
    }                                                                                   \
    for (c = row; c < l->rows; ++c) acc[c] = l->bias[c];                                \
    if (row < l->rows) mpgru_block_##B(w, l->rows - row, x, words, segment, acc + row); \
  }
MPGRU_LINEAR_ROWS(3)
MPGRU_LINEAR_ROWS(4)
MPGRU_LINEAR_ROWS(5)
MPGRU_LINEAR_ROWS(6)
MPGRU_LINEAR_ROWS(7)
MPGRU_LINEAR_ROWS(8)

/* ---- Ternary (2-bit) weights: two rows per multiply (src/export/ternary_layout.hpp) ----
 *
 * A word holds 8 columns of a row pair (A, B); rotated right by 4k and masked, each 16-bit lane is
 * w_B 2^14 + (w_A + 1) for one column, so one SMLAD with the inputs (x_2k, x_2k+1) adds both rows'
 * products. Over a segment (at most `segment` words, proved by the generator) the low part
 * L = sum x (w_A + 1) is within [-8191, 8191]: the accumulator's low 14 bits, sign-extended, and
 * row B's sum is (acc - L) / 2^14, exact. Row A's sum is L minus the inputs' sum over the columns
 * read (every row A starts from bias - that sum). */
#define MPGRU_TERNARY_MASK 0xC003C003u

static uint32_t mpgru_ror(uint32_t v, unsigned n) {
  return (v >> n) | (v << ((32u - n) & 31u));
}

/* v modulo 2^32 as an int32 (two's complement), portably: row A's running sum starts at
 * bias - (the inputs' sum), which need not fit int32 though the final sum does (the generator
 * bounds bias + the dot product), so it is kept modulo 2^32; a no-op on two's complement cores. */
static int32_t mpgru_wrap(uint32_t v) {
  return v <= 0x7FFFFFFFu ? (int32_t)v : -(int32_t)(~v) - 1;
}

/* Sign-extends the low 14 bits (exact, any C99 compiler; one SBFX where the compiler sees it). */
static int32_t mpgru_low14(int32_t a) {
  return (int32_t)(((uint32_t)a & 0x3FFFu) ^ 0x2000u) - 0x2000;
}

/* Adds pair accumulator a's two row sums to acc[0] (row A) and acc[1] (row B). */
#define MPGRU_TERNARY_SPLIT(a, acc)                            \
  {                                                            \
    const int32_t low = mpgru_low14(a);                        \
    (acc)[0] = mpgru_wrap((uint32_t)(acc)[0] + (uint32_t)low); \
    (acc)[1] += MPGRU_EXACT_SHIFT((a)-low, 14);                \
  }

/* Columns 2k, 2k + 1 (rotation 4k) of the pairs' words w0..w3 against inputs x[2k], x[2k + 1]. */
#define MPGRU_TERNARY4(k)                                    \
  {                                                          \
    const uint32_t xv = mpgru_input_pair(x + 2 * (k));       \
    a0 = MPGRU_SMLAD(mask & mpgru_ror(w0, 4 * (k)), xv, a0); \
    a1 = MPGRU_SMLAD(mask & mpgru_ror(w1, 4 * (k)), xv, a1); \
    a2 = MPGRU_SMLAD(mask & mpgru_ror(w2, 4 * (k)), xv, a2); \
    a3 = MPGRU_SMLAD(mask & mpgru_ror(w3, 4 * (k)), xv, a3); \
  }

/* One segment of a block of 4 row pairs: acc[2u], acc[2u + 1] += pair u's row sums over the words
 * from w, inputs x to x_end. Out of line, so that its loop has the registers to itself. */
static MPGRU_NOINLINE void mpgru_ternary_segment4(const uint32_t* w, const int16_t* x,
                                                  const int16_t* x_end, int32_t* acc) {
  uint32_t mask = MPGRU_TERNARY_MASK;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  MPGRU_OPAQUE(mask);
  do {
    const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    MPGRU_TERNARY4(0)
    MPGRU_TERNARY4(1)
    MPGRU_TERNARY4(2)
    MPGRU_TERNARY4(3)
    w += 4;
    x += 8;
  } while (x != x_end);
  MPGRU_TERNARY_SPLIT(a0, acc)
  MPGRU_TERNARY_SPLIT(a1, acc + 2)
  MPGRU_TERNARY_SPLIT(a2, acc + 4)
  MPGRU_TERNARY_SPLIT(a3, acc + 6)
}

/* One row pair of a block of n pairs (its words every n from w): acc[0], acc[1] += its sums. */
static void mpgru_ternary_pair(const uint32_t* w, int32_t n, const int16_t* x, int32_t words,
                               int32_t segment, int32_t* acc) {
  uint32_t mask = MPGRU_TERNARY_MASK;
  int32_t t = 0;
  MPGRU_OPAQUE(mask);
  while (t < words) {
    const int32_t end = words - t > segment ? t + segment : words;
    int32_t a = 0;
    for (; t < end; ++t, x += 8) {
      const uint32_t w0 = w[t * n];
      a = MPGRU_SMLAD(mask & w0, mpgru_input_pair(x), a);
      a = MPGRU_SMLAD(mask & mpgru_ror(w0, 4), mpgru_input_pair(x + 2), a);
      a = MPGRU_SMLAD(mask & mpgru_ror(w0, 8), mpgru_input_pair(x + 4), a);
      a = MPGRU_SMLAD(mask & mpgru_ror(w0, 12), mpgru_input_pair(x + 6), a);
    }
    MPGRU_TERNARY_SPLIT(a, acc)
  }
}

/* Every row of a ternary linear: blocks of 4 row pairs, then the rest pair by pair (a missing
 * row B of odd rows into a scratch slot). */
void mpgru_rows_2(const mpgru_linear* l, const int16_t* x, int32_t* acc) {
  const int32_t words = l->words_per_row, segment = l->segment, rows = l->rows;
  const int32_t pairs = (rows + 1) / 2;
  const uint32_t* w = l->words;
  int32_t sum = 0, j, r, p = 0;
  for (j = 0; j < 8 * words; ++j) sum += x[j];
  for (r = 0; r < rows; r += 2) acc[r] = mpgru_wrap((uint32_t)l->bias[r] - (uint32_t)sum);
  for (r = 1; r < rows; r += 2) acc[r] = l->bias[r];
  for (; p + 4 <= pairs && 2 * p + 8 <= rows; p += 4, w += 4 * (size_t)words) {
    const int16_t* xs = x;
    int32_t left = words;
    const uint32_t* ws = w;
    while (left > 0) {
      const int32_t run = left > segment ? segment : left;
      mpgru_ternary_segment4(ws, xs, xs + (size_t)run * 8, acc + 2 * p);
      ws += 4 * (size_t)run;
      xs += (size_t)run * 8;
      left -= run;
    }
  }
  {
    const int32_t n = pairs - p; /* the last block's pairs */
    int32_t u;
    for (u = 0; u < n; ++u) {
      int32_t two[2];
      two[0] = acc[2 * (p + u)];
      two[1] = 2 * (p + u) + 1 < rows ? acc[2 * (p + u) + 1] : 0;
      mpgru_ternary_pair(w + u, n, x, words, segment, two);
      acc[2 * (p + u)] = two[0];
      if (2 * (p + u) + 1 < rows) acc[2 * (p + u) + 1] = two[1];
    }
  }
}

#endif /* !MPGRU_MVE */

#if MPGRU_MVE
/* ---- Helium (MVE) matrix-vector products on lane vectors (src/export/mve_layout.hpp) ----
 *
 * Rows one after another, 4 at a time sharing each input vector's load. 8 bits: 16 weight bytes
 * against 16 inputs narrowed to bytes in one VMLADAVA.S8 when the inputs fit int8, else a widening
 * byte load (VLDRB.S16) is 8 weights against 8 int16 inputs in one VMLADAVA.S16; the int32 sums
 * wrap modulo 2^32 as everywhere (exact for sums that fit). 2 and 4 bits with narrow inputs: byte
 * lanes (below). Otherwise field i of a vector of 16-bit lanes, (v << B i) & M_B, is 8 weights
 * times 2^(16 - B); the scaled sums are exact within a segment (at most `segment` vectors) and
 * divided exactly by 2^(16 - B) after it. */
#include <arm_mve.h>

/* acc[4 q + u] = base[4 q + u] + row 4 q + u's 8-bit dot product with the inputs over n steps
 * of 8 columns (int16 inputs) or 16 columns (int8 inputs), for `blocks` blocks of 4 rows
 * `stride` bytes apart from w; base is the bias, or acc itself. Out of line, so that its loops
 * have the registers to themselves. */
#define MPGRU_MVE_BLOCKS8(NAME, XT, VT, LOADX, LOADW, STEP)                                      \
  static MPGRU_NOINLINE void NAME(const int8_t* w, int32_t stride, int32_t blocks, const XT* x0, \
                                  int32_t steps, const int32_t* base, int32_t* acc) {            \
    for (; blocks > 0; --blocks, w += 4 * (size_t)stride, base += 4, acc += 4) {                 \
      const int8_t* w0 = w;                                                                      \
      const int8_t* w1 = w + stride;                                                             \
      const int8_t* w2 = w1 + stride;                                                            \
      const int8_t* w3 = w2 + stride;                                                            \
      const XT* x = x0;                                                                          \
      int32_t a0 = base[0], a1 = base[1], a2 = base[2], a3 = base[3];                            \
      int32_t n;                                                                                 \
      for (n = steps; n > 0; --n, w0 += STEP, w1 += STEP, w2 += STEP, w3 += STEP, x += STEP) {   \
        const VT xv = LOADX(x);                                                                  \
        a0 = vmladavaq(a0, LOADW(w0), xv);                                                       \
        a1 = vmladavaq(a1, LOADW(w1), xv);                                                       \
        a2 = vmladavaq(a2, LOADW(w2), xv);                                                       \
        a3 = vmladavaq(a3, LOADW(w3), xv);                                                       \
      }                                                                                          \
      acc[0] = a0;                                                                               \
      acc[1] = a1;                                                                               \
      acc[2] = a2;                                                                               \
      acc[3] = a3;                                                                               \
    }                                                                                            \
  }
MPGRU_MVE_BLOCKS8(mpgru_mve_blocks8_s16, int16_t, int16x8_t, vldrhq_s16, vldrbq_s16, 8)
MPGRU_MVE_BLOCKS8(mpgru_mve_blocks8_s8, int8_t, int8x16_t, vldrbq_s8, vldrbq_s8, 16)

/* Inputs narrowed to bytes a chunk at a time (a linear's inputs that fit int8). */
#define MPGRU_MVE_CHUNK 256

void mpgru_rows_8(const mpgru_linear* l, const int16_t* x, int32_t* acc) {
  const int32_t stride = 4 * l->words_per_row; /* bytes per row, a multiple of 16 */
  const int32_t blocks = l->rows / 4;
  const int8_t* w = (const int8_t*)l->words;
  int32_t r, j, c0;
  if (!l->narrow_input) {
    mpgru_mve_blocks8_s16(w, stride, blocks, x, stride / 8, l->bias, acc);
    for (r = 4 * blocks; r < l->rows; ++r) {
      acc[r] = l->bias[r];
      for (j = 0; j < stride; j += 8)
        acc[r] = vmladavaq(acc[r], vldrbq_s16(w + (size_t)r * stride + j), vldrhq_s16(x + j));
    }
    return;
  }
  for (r = stride == 0 ? 0 : 4 * blocks; r < l->rows; ++r) acc[r] = l->bias[r];
  for (c0 = 0; c0 < stride; c0 += MPGRU_MVE_CHUNK) {
    int8_t x8[MPGRU_MVE_CHUNK];
    const int32_t n = stride - c0 < MPGRU_MVE_CHUNK ? stride - c0 : MPGRU_MVE_CHUNK;
    for (j = 0; j < n; j += 8) vstrbq_s16(x8 + j, vldrhq_s16(x + c0 + j)); /* exact: |x| <= 127 */
    mpgru_mve_blocks8_s8(w + c0, stride, blocks, x8, n / 16, c0 == 0 ? l->bias : acc, acc);
    for (r = 4 * blocks; r < l->rows; ++r)
      for (j = 0; j < n; j += 16)
        acc[r] = vmladavaq(acc[r], vldrbq_s8(w + (size_t)r * stride + c0 + j), vldrbq_s8(x8 + j));
  }
}

/* Requantization of 4 rows at once, every multiplier M = m0 2^(shift - 31). A multiplier of at
 * least 0.25 (shift >= -1) is first brought to shift -2 by scaling the accumulator by 2^(shift +
 * 2), saturating: the same rational, so the same rounding; where it saturates |acc M| >= 2^28 and
 * the output clamps to its range either way. Then, as mpgru_apply's first case: VMULH is floor(p /
 * 2^32) of p = acc m0, and (p - (p < 0)) >> 32 is one less exactly when p < 0 has a zero low word;
 * the arithmetic shift by -shift - 2 and the rounding shift by 1 finish it. */
static void mpgru_mve_requantize4(const mpgru_linear* l, const int32_t* acc, int16_t* y) {
  const int32x4_t lo = vdupq_n_s32(l->out_min), hi = vdupq_n_s32(l->out_max);
  const int32x4_t zero = vdupq_n_s32(0);
  int32_t c;
  for (c = 0; c + 4 <= l->rows; c += 4) {
    const int32x4_t m = vldrwq_s32(l->m0 + c);
    const int32x4_t s = vaddq_n_s32(vldrbq_s32(l->shift + c), 2);
    const int32x4_t a = vqshlq_s32(vldrwq_s32(acc + c), vmaxq_s32(s, zero));
    const mve_pred16_t negative_whole =
        vcmpneq_m_n_s32(m, 0, vcmpeqq_m_n_s32(vmulq_s32(a, m), 0, vcmpltq_n_s32(a, 0)));
    const int32x4_t high = vsubq_m_n_s32(vmulhq_s32(a, m), vmulhq_s32(a, m), 1, negative_whole);
    const int32x4_t t = vshlq_s32(high, vminq_s32(s, zero));
    vstrhq_s32(y + c, vmaxq_s32(vminq_s32(vrshrq_n_s32(t, 1), hi), lo));
  }
}

/* Field i (of 16 / B) of lane vector v: 8 weights times 2^(16 - B), as int16 lanes; no shift for
 * the top field, no mask for the last (the lanes' bits below it are zero). */
#define MPGRU_MVE_FIELD(B, v, i)                                 \
  vreinterpretq_s16_u16((i) == 16 / (B)-1                        \
                            ? vshlq_n_u16((v), ((B) * (i)) & 15) \
                            : ((i) == 0 ? vandq_u16((v), mask)   \
                                        : vandq_u16(vshlq_n_u16((v), ((B) * (i)) & 15), mask)))
#define MPGRU_MVE_LOAD(p) vreinterpretq_u16_u32(vld1q_u32(p))

/* Field i of the 4 rows' vectors v0..v3 against inputs x[8i .. 8i + 7]; dead for i >= 16 / B. */
#define MPGRU_MVE4(B, i)                                   \
  if ((i) < 16 / (B)) {                                    \
    const int16x8_t xv = vldrhq_s16(x + 8 * (i));          \
    s0 = vmladavaq_s16(s0, MPGRU_MVE_FIELD(B, v0, i), xv); \
    s1 = vmladavaq_s16(s1, MPGRU_MVE_FIELD(B, v1, i), xv); \
    s2 = vmladavaq_s16(s2, MPGRU_MVE_FIELD(B, v2, i), xv); \
    s3 = vmladavaq_s16(s3, MPGRU_MVE_FIELD(B, v3, i), xv); \
    MPGRU_IN_ORDER();                                      \
  }
#define MPGRU_MVE1(B, i) \
  if ((i) < 16 / (B)) s = vmladavaq_s16(s, MPGRU_MVE_FIELD(B, v0, i), vldrhq_s16(x + 8 * (i)));

/* acc[u] += the exact sums of 4 rows (words apart, from w) over n vectors from inputs x. */
#define MPGRU_MVE_ROWS(B)                                                                        \
  static MPGRU_NOINLINE void mpgru_mve_segment4_##B(const uint32_t* w, int32_t words,            \
                                                    const int16_t* x, int32_t n, int32_t* acc) { \
    const uint16x8_t mask = vdupq_n_u16((uint16_t)(((1u << (B)) - 1u) << (16 - (B))));           \
    const uint32_t* w1 = w + words;                                                              \
    const uint32_t* w2 = w1 + words;                                                             \
    const uint32_t* w3 = w2 + words;                                                             \
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                      \
    for (; n > 0; --n, w += 4, w1 += 4, w2 += 4, w3 += 4, x += 8 * (16 / (B))) {                 \
      const uint16x8_t v0 = MPGRU_MVE_LOAD(w), v1 = MPGRU_MVE_LOAD(w1);                          \
      const uint16x8_t v2 = MPGRU_MVE_LOAD(w2), v3 = MPGRU_MVE_LOAD(w3);                         \
      MPGRU_MVE4(B, 0)                                                                           \
      MPGRU_MVE4(B, 1)                                                                           \
      MPGRU_MVE4(B, 2)                                                                           \
      MPGRU_MVE4(B, 3)                                                                           \
      MPGRU_MVE4(B, 4) MPGRU_MVE4(B, 5) MPGRU_MVE4(B, 6) MPGRU_MVE4(B, 7)                        \
    }                                                                                            \
    acc[0] += MPGRU_EXACT_SHIFT(s0, 16 - (B));                                                   \
    acc[1] += MPGRU_EXACT_SHIFT(s1, 16 - (B));                                                   \
    acc[2] += MPGRU_EXACT_SHIFT(s2, 16 - (B));                                                   \
    acc[3] += MPGRU_EXACT_SHIFT(s3, 16 - (B));                                                   \
  }                                                                                              \
  static void mpgru_mve_halves_##B(const mpgru_linear* l, const int16_t* x, int32_t* acc) {      \
    const int32_t words = l->words_per_row, vectors = words / 4, segment = l->segment;           \
    const uint16x8_t mask = vdupq_n_u16((uint16_t)(((1u << (B)) - 1u) << (16 - (B))));           \
    const uint32_t* w = l->words;                                                                \
    int32_t r, t;                                                                                \
    for (r = 0; r < l->rows; ++r) acc[r] = l->bias[r];                                           \
    for (r = 0; r + 4 <= l->rows; r += 4, w += 4 * (size_t)words) {                              \
      for (t = 0; t < vectors; t += segment) {                                                   \
        const int32_t run = vectors - t > segment ? segment : vectors - t;                       \
        mpgru_mve_segment4_##B(w + 4 * (size_t)t, words, x + (size_t)t * 8 * (16 / (B)), run,    \
                               acc + r);                                                         \
      }                                                                                          \
    }                                                                                            \
    for (; r < l->rows; ++r, w += words) {                                                       \
      const int16_t* xs = x;                                                                     \
      const uint32_t* ws = w;                                                                    \
      for (t = 0; t < vectors;) {                                                                \
        const int32_t end = vectors - t > segment ? t + segment : vectors;                       \
        int32_t s = 0;                                                                           \
        for (; t < end; ++t, ws += 4, xs += 8 * (16 / (B))) {                                    \
          const uint16x8_t v0 = MPGRU_MVE_LOAD(ws);                                              \
          const int16_t* x = xs;                                                                 \
          MPGRU_MVE1(B, 0)                                                                       \
          MPGRU_MVE1(B, 1)                                                                       \
          MPGRU_MVE1(B, 2)                                                                       \
          MPGRU_MVE1(B, 3)                                                                       \
          MPGRU_MVE1(B, 4) MPGRU_MVE1(B, 5) MPGRU_MVE1(B, 6) MPGRU_MVE1(B, 7)                    \
        }                                                                                        \
        acc[r] += MPGRU_EXACT_SHIFT(s, 16 - (B));                                                \
      }                                                                                          \
    }                                                                                            \
  }
MPGRU_MVE_ROWS(2)
MPGRU_MVE_ROWS(3)
MPGRU_MVE_ROWS(4)
MPGRU_MVE_ROWS(5)
MPGRU_MVE_ROWS(6)
MPGRU_MVE_ROWS(7)

/* Byte lanes at 2 and 4 bits (inputs that fit int8): field i of a vector, (v << B i) & M_B on
 * bytes, is 16 weights times 2^(8 - B) against 16 inputs narrowed to int8 (VMLADAVA.S8). */
#define MPGRU_MVE_BYTE_FIELD(B, v, i)        \
  vreinterpretq_s8_u8(                       \
      (i) == 8 / (B)-1                       \
          ? vshlq_n_u8((v), ((B) * (i)) & 7) \
          : ((i) == 0 ? vandq_u8((v), mask) : vandq_u8(vshlq_n_u8((v), ((B) * (i)) & 7), mask)))
#define MPGRU_MVE_BYTES4(B, i)                                 \
  if ((i) < 8 / (B)) {                                         \
    const int8x16_t xv = vldrbq_s8(x + 16 * (i));              \
    s0 = vmladavaq_s8(s0, MPGRU_MVE_BYTE_FIELD(B, v0, i), xv); \
    s1 = vmladavaq_s8(s1, MPGRU_MVE_BYTE_FIELD(B, v1, i), xv); \
    s2 = vmladavaq_s8(s2, MPGRU_MVE_BYTE_FIELD(B, v2, i), xv); \
    s3 = vmladavaq_s8(s3, MPGRU_MVE_BYTE_FIELD(B, v3, i), xv); \
    MPGRU_IN_ORDER();                                          \
  }
#define MPGRU_MVE_BYTES1(B, i) \
  if ((i) < 8 / (B)) s0 = vmladavaq_s8(s0, MPGRU_MVE_BYTE_FIELD(B, v0, i), vldrbq_s8(x + 16 * (i)));

/* acc[r] += row r's exact sum over n vectors from w (rows `words` apart) and the int8 inputs x0,
 * for `rows` rows, 4 at a time. */
#define MPGRU_MVE_BYTES(B)                                                                       \
  static MPGRU_NOINLINE void mpgru_mve_bytes_##B(const uint32_t* w, int32_t words, int32_t rows, \
                                                 const int8_t* x0, int32_t n, int32_t* acc) {    \
    const uint8x16_t mask = vdupq_n_u8((uint8_t)(((1u << (B)) - 1u) << (8 - (B))));              \
    int32_t r = 0, t;                                                                            \
    for (; r + 4 <= rows; r += 4, w += 4 * (size_t)words) {                                      \
      const uint8_t* w0 = (const uint8_t*)w;                                                     \
      const uint8_t* w1 = (const uint8_t*)(w + words);                                           \
      const uint8_t* w2 = (const uint8_t*)(w + 2 * (size_t)words);                               \
      const uint8_t* w3 = (const uint8_t*)(w + 3 * (size_t)words);                               \
      const int8_t* x = x0;                                                                      \
      int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                    \
      for (t = n; t > 0; --t, w0 += 16, w1 += 16, w2 += 16, w3 += 16, x += 16 * (8 / (B))) {     \
        const uint8x16_t v0 = vldrbq_u8(w0), v1 = vldrbq_u8(w1);                                 \
        const uint8x16_t v2 = vldrbq_u8(w2), v3 = vldrbq_u8(w3);                                 \
        MPGRU_MVE_BYTES4(B, 0)                                                                   \
        MPGRU_MVE_BYTES4(B, 1)                                                                   \
        MPGRU_MVE_BYTES4(B, 2)                                                                   \
        MPGRU_MVE_BYTES4(B, 3)                                                                   \
      }                                                                                          \
      acc[r] += MPGRU_EXACT_SHIFT(s0, 8 - (B));                                                  \
      acc[r + 1] += MPGRU_EXACT_SHIFT(s1, 8 - (B));                                              \
      acc[r + 2] += MPGRU_EXACT_SHIFT(s2, 8 - (B));                                              \
      acc[r + 3] += MPGRU_EXACT_SHIFT(s3, 8 - (B));                                              \
    }                                                                                            \
    for (; r < rows; ++r, w += words) {                                                          \
      const uint8_t* w0 = (const uint8_t*)w;                                                     \
      const int8_t* x = x0;                                                                      \
      int32_t s0 = 0;                                                                            \
      for (t = n; t > 0; --t, w0 += 16, x += 16 * (8 / (B))) {                                   \
        const uint8x16_t v0 = vldrbq_u8(w0);                                                     \
        MPGRU_MVE_BYTES1(B, 0)                                                                   \
        MPGRU_MVE_BYTES1(B, 1)                                                                   \
        MPGRU_MVE_BYTES1(B, 2)                                                                   \
        MPGRU_MVE_BYTES1(B, 3)                                                                   \
      }                                                                                          \
      acc[r] += MPGRU_EXACT_SHIFT(s0, 8 - (B));                                                  \
    }                                                                                            \
  }                                                                                              \
  void mpgru_rows_##B(const mpgru_linear* l, const int16_t* x, int32_t* acc) {                   \
    const int32_t words = l->words_per_row, vectors = words / 4;                                 \
    const int32_t per_chunk = MPGRU_MVE_CHUNK / (16 * (8 / (B))); /* vectors */                  \
    int32_t r, v0, t, j;                                                                         \
    if (!l->narrow_input) {                                                                      \
      mpgru_mve_halves_##B(l, x, acc);                                                           \
      return;                                                                                    \
    }                                                                                            \
    for (r = 0; r < l->rows; ++r) acc[r] = l->bias[r];                                           \
    for (v0 = 0; v0 < vectors; v0 += per_chunk) {                                                \
      int8_t x8[MPGRU_MVE_CHUNK];                                                                \
      const int32_t n = vectors - v0 < per_chunk ? vectors - v0 : per_chunk;                     \
      const int16_t* xs = x + (size_t)v0 * 16 * (8 / (B));                                       \
      for (j = 0; j < n * 16 * (8 / (B)); j += 8) vstrbq_s16(x8 + j, vldrhq_s16(xs + j));        \
      for (t = 0; t < n; t += l->segment) {                                                      \
        const int32_t run = n - t > l->segment ? l->segment : n - t;                             \
        mpgru_mve_bytes_##B(l->words + 4 * (size_t)(v0 + t), words, l->rows,                     \
                            x8 + (size_t)t * 16 * (8 / (B)), run, acc);                          \
      }                                                                                          \
    }                                                                                            \
  }
MPGRU_MVE_BYTES(2)
MPGRU_MVE_BYTES(4)

/* 3, 5, 6 and 7 bits: half lanes always. */
#define MPGRU_MVE_HALVES_ONLY(B)                                               \
  void mpgru_rows_##B(const mpgru_linear* l, const int16_t* x, int32_t* acc) { \
    mpgru_mve_halves_##B(l, x, acc);                                           \
  }
MPGRU_MVE_HALVES_ONLY(3)
MPGRU_MVE_HALVES_ONLY(5)
MPGRU_MVE_HALVES_ONLY(6)
MPGRU_MVE_HALVES_ONLY(7)
#endif /* MPGRU_MVE */

void mpgru_linear_apply(const mpgru_linear* l, const int16_t* x, int32_t* acc, int16_t* y) {
  int32_t c;
  l->kernel(l, x, acc); /* bias included */
#if MPGRU_MVE
  mpgru_mve_requantize4(l, acc, y);
  for (c = l->rows & ~3; c < l->rows; ++c) {
    const int32_t v = mpgru_apply(acc[c], l->m0[c], l->shift[c]);
    y[c] = (int16_t)mpgru_clamp(v, l->out_min, l->out_max);
  }
  return;
#endif
#if defined(__GNUC__)
  if (l->small_multipliers) {
    /* Every multiplier below 0.25 (shift <= -2): mpgru_apply's first case without its tests. */
    for (c = 0; c < l->rows; ++c) {
      const int64_t p = (int64_t)acc[c] * (int64_t)l->m0[c];
      const int32_t hi = (int32_t)((p - (int64_t)(p < 0)) >> 32);
      y[c] = (int16_t)mpgru_clamp(((hi >> (-l->shift[c] - 2)) + 1) >> 1, l->out_min, l->out_max);
    }
    return;
  }
#endif
  for (c = 0; c < l->rows; ++c) {
    const int32_t v = mpgru_apply(acc[c], l->m0[c], l->shift[c]);
    y[c] = (int16_t)mpgru_clamp(v, l->out_min, l->out_max);
  }
}

int16_t mpgru_add_apply(const mpgru_add* op, int32_t qa, int32_t qb) {
  return mpgru_add_q(op, qa, qb);
}

int16_t mpgru_mul_apply(const mpgru_mul* op, int32_t qa, int32_t qb) {
  return mpgru_mul_q(op, qa, qb);
}

int16_t mpgru_lut_apply(const mpgru_lut* op, int32_t q) {
  return mpgru_lut_q(op, q);
}

void mpgru_gru_linears(const mpgru_gru_layer* l, const int16_t* x, const int16_t* h_old,
                       int32_t* acc, int16_t* out) {
  int32_t g;
  for (g = 0; g < 3; ++g) {
    mpgru_linear_apply(&l->lin_i[g], x, acc, out + g * l->hidden);
    mpgru_linear_apply(&l->lin_h[g], h_old, acc, out + (3 + g) * l->hidden);
  }
}

void mpgru_embedding_row(const mpgru_embedding* e, int32_t token, int16_t* x) {
  const uint32_t first = (uint32_t)token * (uint32_t)e->dim;
  int32_t f;
  for (f = 0; f < e->dim; ++f) {
    const int32_t v = mpgru_packed_at(e->table, first + (uint32_t)f, e->bits);
    x[f] = (int16_t)mpgru_clamp(mpgru_apply_multiplier(v, e->to_input), e->in_min, e->in_max);
  }
}
