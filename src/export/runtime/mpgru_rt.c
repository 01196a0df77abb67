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

int16_t mpgru_linear_row(const mpgru_linear* l, int32_t row, const int16_t* x) {
  const uint32_t first_bit = (uint32_t)row * (uint32_t)l->cols * (uint32_t)l->bits;
  const int32_t acc = mpgru_dot(l->weights, first_bit, l->bits, x, l->cols, l->bias[row]);
  mpgru_multiplier m;
  m.m0 = l->m0[row];
  m.shift = l->shift[row];
  return (int16_t)mpgru_clamp(mpgru_apply_multiplier(acc, m), l->out_min, l->out_max);
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

/* Unit c of a layer, the operators in the order of the engine's equations; each is element-wise
 * in c, so going unit by unit gives the engine's values exactly. */
static int8_t mpgru_gru_unit(const mpgru_gru_layer* l, int32_t c, const int16_t* x,
                             const int16_t* h_old) {
  const int16_t ai_r = mpgru_linear_row(&l->lin_i[0], c, x);
  const int16_t ai_z = mpgru_linear_row(&l->lin_i[1], c, x);
  const int16_t ai_n = mpgru_linear_row(&l->lin_i[2], c, x);
  const int16_t ah_r = mpgru_linear_row(&l->lin_h[0], c, h_old);
  const int16_t ah_z = mpgru_linear_row(&l->lin_h[1], c, h_old);
  const int16_t ah_n = mpgru_linear_row(&l->lin_h[2], c, h_old);
  const int16_t r = mpgru_lut_apply(&l->act[0], mpgru_add_apply(&l->sum[0], ai_r, ah_r));
  const int16_t z = mpgru_lut_apply(&l->act[1], mpgru_add_apply(&l->sum[1], ai_z, ah_z));
  const int16_t rn = mpgru_mul_apply(&l->mul_rn, r, ah_n);
  const int16_t n = mpgru_lut_apply(&l->act[2], mpgru_add_apply(&l->sum[2], ai_n, rn));
  const int16_t un = mpgru_mul_apply(&l->mul_un, l->one_z - z, n);
  const int16_t zh = mpgru_mul_apply(&l->mul_zh, z, h_old[c]);
  return (int8_t)mpgru_add_apply(&l->h_add, un, zh);
}

void mpgru_gru_step(const mpgru_gru_layer* layer, const int16_t* x, const int16_t* h_old,
                    int8_t* h_new) {
  int32_t c;
  for (c = 0; c < layer->hidden; ++c) h_new[c] = mpgru_gru_unit(layer, c, x, h_old);
}

void mpgru_embedding_row(const mpgru_embedding* e, int32_t token, int16_t* x) {
  const uint32_t first = (uint32_t)token * (uint32_t)e->dim;
  int32_t f;
  for (f = 0; f < e->dim; ++f) {
    const int32_t v = mpgru_packed_at(e->table, first + (uint32_t)f, e->bits);
    x[f] = (int16_t)mpgru_clamp(mpgru_apply_multiplier(v, e->to_input), e->in_min, e->in_max);
  }
}
