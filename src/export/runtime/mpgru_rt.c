/* mpgru_rt.c: the integer operators of exported mpgru models, bit-exact with the engine's
 * reference kernels. See mpgru_rt.h for the contract of each function. */
#include "mpgru_rt.h"

static int32_t mpgru_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

int32_t mpgru_apply_multiplier(int32_t x, mpgru_multiplier m) {
  /* |x * m0| < 2^62; round(|p| / 2^k), k = 31 - shift in [1, 62], half up, as
   * ((|p| >> (k - 1)) + 1) >> 1; the sign is put back afterwards (ties away from zero). */
  const int64_t product = (int64_t)x * (int64_t)m.m0;
  const uint64_t magnitude = product < 0 ? (uint64_t)(-product) : (uint64_t)product;
  const uint64_t rounded = ((magnitude >> (30 - m.shift)) + 1u) >> 1;
  const int64_t y = product < 0 ? -(int64_t)rounded : (int64_t)rounded;
  if (y > INT32_MAX) return INT32_MAX;
  if (y < INT32_MIN) return INT32_MIN;
  return (int32_t)y;
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
/* Pair i of the four rows' words w0..w3 against inputs x[2i], x[2i + 1]; dead for i >= 16 / B. */
#define MPGRU_PAIR4(B, i)                                                   \
  if ((i) < 16 / (B)) {                                                      \
    const uint32_t xv = mpgru_input_pair(x + 2 * (i));                      \
    a0 = MPGRU_SMLAD((w0 << (((B) * (i)) & 31)) & mask, xv, a0);             \
    a1 = MPGRU_SMLAD((w1 << (((B) * (i)) & 31)) & mask, xv, a1);             \
    a2 = MPGRU_SMLAD((w2 << (((B) * (i)) & 31)) & mask, xv, a2);             \
    a3 = MPGRU_SMLAD((w3 << (((B) * (i)) & 31)) & mask, xv, a3);             \
  }
#define MPGRU_PAIR1(B, i)                                                                 \
  if ((i) < 16 / (B)) {                                                                    \
    a = MPGRU_SMLAD((w0 << (((B) * (i)) & 31)) & mask, mpgru_input_pair(xr + 2 * (i)), a); \
  }

/* acc[u] += row u's exact dot product, for a block of 4 rows (mpgru_block4_B) or of n < 4 rows
 * (mpgru_block_B: one row after another), `words` words each, w the block's first word. The
 * scaled partial sums are shifted back (divided exactly by 2^(16 - B)) every `segment` words. */
#define MPGRU_BLOCKS(B)                                                                           \
  static void mpgru_block4_##B(const uint32_t* w, const int16_t* x, int32_t words,              \
                               int32_t segment, int32_t* acc) {                                  \
    const uint32_t mask = MPGRU_LANE_MASK(B);                                                    \
    int32_t t = 0;                                                                               \
    while (t < words) {                                                                          \
      const int32_t end = words - t > segment ? t + segment : words;                             \
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                    \
      for (; t < end; ++t, w += 4, x += 2 * (16 / (B))) {                                        \
        const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];                               \
        MPGRU_PAIR4(B, 0) MPGRU_PAIR4(B, 1) MPGRU_PAIR4(B, 2) MPGRU_PAIR4(B, 3)                  \
        MPGRU_PAIR4(B, 4) MPGRU_PAIR4(B, 5) MPGRU_PAIR4(B, 6) MPGRU_PAIR4(B, 7)                  \
      }                                                                                          \
      acc[0] += a0 / (1 << (16 - (B)));                                                          \
      acc[1] += a1 / (1 << (16 - (B)));                                                          \
      acc[2] += a2 / (1 << (16 - (B)));                                                          \
      acc[3] += a3 / (1 << (16 - (B)));                                                          \
    }                                                                                            \
  }                                                                                              \
  static void mpgru_block_##B(const uint32_t* w, int32_t n, const int16_t* x, int32_t words,    \
                              int32_t segment, int32_t* acc) {                                   \
    const uint32_t mask = MPGRU_LANE_MASK(B);                                                    \
    int32_t u;                                                                                   \
    for (u = 0; u < n; ++u) {                                                                    \
      const int16_t* xr = x;                                                                     \
      int32_t t = 0;                                                                             \
      while (t < words) {                                                                        \
        const int32_t end = words - t > segment ? t + segment : words;                           \
        int32_t a = 0;                                                                           \
        for (; t < end; ++t, xr += 2 * (16 / (B))) {                                             \
          const uint32_t w0 = w[t * n + u];                                                      \
          MPGRU_PAIR1(B, 0) MPGRU_PAIR1(B, 1) MPGRU_PAIR1(B, 2) MPGRU_PAIR1(B, 3)                \
          MPGRU_PAIR1(B, 4) MPGRU_PAIR1(B, 5) MPGRU_PAIR1(B, 6) MPGRU_PAIR1(B, 7)                \
        }                                                                                        \
        acc[u] += a / (1 << (16 - (B)));                                                         \
      }                                                                                          \
    }                                                                                            \
  }
MPGRU_BLOCKS(2)
MPGRU_BLOCKS(3)
MPGRU_BLOCKS(4)
MPGRU_BLOCKS(5)
MPGRU_BLOCKS(6)
MPGRU_BLOCKS(7)
MPGRU_BLOCKS(8)

#define MPGRU_BLOCK_CASE(B)                                             \
  case B:                                                               \
    if (n == 4) {                                                       \
      mpgru_block4_##B(w, x, l->words_per_row, l->segment, acc);        \
    } else {                                                            \
      mpgru_block_##B(w, n, x, l->words_per_row, l->segment, acc);      \
    }                                                                   \
    break;

int32_t mpgru_linear_block(const mpgru_linear* l, int32_t row0, const int16_t* x, int16_t* y) {
  const int32_t n = l->rows - row0 < 4 ? l->rows - row0 : 4;
  const uint32_t* w = l->words + (size_t)row0 * (size_t)l->words_per_row;
  int32_t acc[4];
  int32_t u;
  for (u = 0; u < n; ++u) acc[u] = l->bias[row0 + u];
  switch (l->bits) {
    MPGRU_BLOCK_CASE(2)
    MPGRU_BLOCK_CASE(3)
    MPGRU_BLOCK_CASE(4)
    MPGRU_BLOCK_CASE(5)
    MPGRU_BLOCK_CASE(6)
    MPGRU_BLOCK_CASE(7)
    default:
      MPGRU_BLOCK_CASE(8)
  }
  for (u = 0; u < n; ++u) {
    mpgru_multiplier m;
    m.m0 = l->m0[row0 + u];
    m.shift = l->shift[row0 + u];
    y[u] = (int16_t)mpgru_clamp(mpgru_apply_multiplier(acc[u], m), l->out_min, l->out_max);
  }
  return n;
}

int16_t mpgru_add_apply(const mpgru_add* op, int32_t qa, int32_t qb) {
  /* Each operand below 255 * 2^20 * 0.5 < 2^28 (multipliers <= 0.5): the int32 sum cannot
   * overflow. */
  const int32_t a = mpgru_apply_multiplier(mpgru_saturating_left_shift(qa, 20), op->a);
  const int32_t b = mpgru_apply_multiplier(mpgru_saturating_left_shift(qb, 20), op->b);
  return (int16_t)mpgru_clamp(mpgru_apply_multiplier(a + b, op->out), op->out_min, op->out_max);
}

int16_t mpgru_mul_apply(const mpgru_mul* op, int32_t qa, int32_t qb) {
  return (int16_t)mpgru_clamp(mpgru_apply_multiplier(qa * qb, op->multiplier), op->out_min,
                              op->out_max);
}

int16_t mpgru_lut_apply(const mpgru_lut* op, int32_t q) {
  const int32_t i = q - op->in_min;
  return op->signed_table != NULL ? (int16_t)op->signed_table[i] : (int16_t)op->unsigned_table[i];
}

/* Unit c of a layer from its six linear outputs, the operators in the order of the engine's
 * equations; each is element-wise in c, so going block by block gives the engine's values. */
static int8_t mpgru_gru_unit(const mpgru_gru_layer* l, const int16_t* a, int32_t h) {
  const int16_t r = mpgru_lut_apply(&l->act[0], mpgru_add_apply(&l->sum[0], a[0], a[3]));
  const int16_t z = mpgru_lut_apply(&l->act[1], mpgru_add_apply(&l->sum[1], a[1], a[4]));
  const int16_t rn = mpgru_mul_apply(&l->mul_rn, r, a[5]);
  const int16_t n = mpgru_lut_apply(&l->act[2], mpgru_add_apply(&l->sum[2], a[2], rn));
  const int16_t un = mpgru_mul_apply(&l->mul_un, l->one_z - z, n);
  const int16_t zh = mpgru_mul_apply(&l->mul_zh, z, h);
  return (int8_t)mpgru_add_apply(&l->h_add, un, zh);
}

void mpgru_gru_step(const mpgru_gru_layer* layer, const int16_t* x, const int16_t* h_old,
                    int8_t* h_new) {
  int32_t c0;
  for (c0 = 0; c0 < layer->hidden; c0 += 4) {
    int16_t out[6][4]; /* a_ir, a_iz, a_in, a_hr, a_hz, a_hn of 4 units */
    int32_t g, u, n = 0;
    for (g = 0; g < 3; ++g) {
      n = mpgru_linear_block(&layer->lin_i[g], c0, x, out[g]);
      mpgru_linear_block(&layer->lin_h[g], c0, h_old, out[3 + g]);
    }
    for (u = 0; u < n; ++u) {
      int16_t a[6];
      for (g = 0; g < 6; ++g) a[g] = out[g][u];
      h_new[c0 + u] = mpgru_gru_unit(layer, a, h_old[c0 + u]);
    }
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
