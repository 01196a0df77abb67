/* mpgru_rt.h: the integer operators of an exported mpgru GRU, shared by every exported model.
 *
 * C99, no allocation, no floating point, nothing from libc beyond <stdint.h> and <stddef.h>.
 * Each operator is bit-exact with the reference kernels of the mpgru engine
 * (src/engine/reference_kernels.hpp, src/quant/fixed_point.hpp); the rounding and saturation of
 * each is stated beside it. Parameters live in `static const` tables written by `mpgru export`;
 * weights stay packed at their own bit widths and are unpacked on the fly, in the layout of the
 * core's kernels: the DSP extension's (SMLAD, ACLE, `__ARM_FEATURE_DSP`), Helium's (`arm_mve.h`,
 * `__ARM_FEATURE_MVE`), or plain C99 with the same exact arithmetic on any other core.
 */
#ifndef MPGRU_RT_H
#define MPGRU_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPGRU_RT_VERSION 3

/* Helium (MVE: Cortex-M55, M85): the weights in the layout of its kernels (lane vectors), chosen
 * here; every other core reads pair words and ternary words (any C99 compiler, the DSP extension
 * where the core has it). An exported model holds both layouts and compiles only one. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define MPGRU_MVE 1
#define MPGRU_LAYOUT(mve, scalar) (mve)
#else
#define MPGRU_MVE 0
#define MPGRU_LAYOUT(mve, scalar) (scalar)
#endif

/* Status codes of the exported functions. */
#define MPGRU_OK 0
#define MPGRU_BAD_ARGUMENT (-1) /* a null pointer or a negative step count */
#define MPGRU_BAD_INPUT (-2)    /* an input value outside its quantized range, or a bad token */

/* A positive real multiplier M = m0 * 2^(shift - 31), m0 in [2^30, 2^31), shift in [-31, 30];
 * the zero multiplier is m0 = 0. */
typedef struct {
  int32_t m0;
  int8_t shift;
} mpgru_multiplier;

/* y[c] = clamp(apply(bias[c] + sum_j w[c][j] * x[j], multiplier[c])) for each row c.
 *
 * The weights are "pair words" (src/export/pair_layout.hpp has the whole layout): a b-bit weight
 * sits in the top b bits of a 16-bit lane, k = 16 / b weights per lane, so that
 * (word << (b * i)) & mask is an int16 pair (w_j * 2^(16-b), w_(j+1) * 2^(16-b)) that meets the
 * two consecutive inputs (x_j, x_(j+1)) in one dual 16-bit multiply-accumulate (SMLAD on a
 * Cortex-M4). A row has `words_per_row` words (its columns padded with zero weights to
 * words_per_row * 2k), rows go in blocks of 4 with their words interleaved, and the partial sums
 * are shifted back by 16 - b, exactly, every `segment` words at most (the generator proved that
 * many words cannot overflow int32 for inputs in range).
 * Ternary (2-bit) weights are "ternary words" instead (src/export/ternary_layout.hpp): a word holds
 * 8 columns of a row pair, two rows per multiply; `words_per_row` then counts the words of a row
 * pair, and `segment` the words whose low part stays exact.
 * On Helium (MPGRU_MVE) every width is in "lane vectors" instead (src/export/mve_layout.hpp):
 * rows one after another, 128-bit vectors of byte lanes (8 bits; 2 and 4 bits when
 * `narrow_input`) or 16-bit lanes, `words_per_row` words a row, `segment` vectors at most between
 * exact shifts (0 at 8 bits). An exported model holds both layouts; the preprocessor keeps one. */
typedef struct mpgru_linear mpgru_linear;

/* acc[row] = bias[row] + the row's dot product with x, for every row: the kernel of a width,
 * mpgru_rows_2 .. mpgru_rows_8 (a model links only the widths it uses). */
typedef void (*mpgru_rows_kernel)(const mpgru_linear* l, const int16_t* x, int32_t* acc);

struct mpgru_linear {
  mpgru_rows_kernel kernel;
  const uint32_t* words;
  const int32_t* bias;
  const int32_t* m0;
  const int8_t* shift;
  int32_t rows;
  int32_t words_per_row;
  int32_t segment;
  int8_t bits;
  int8_t small_multipliers; /* 1: every row's multiplier is below 0.25 (shift <= -2) */
  int8_t narrow_input;      /* 1: every input fits int8 (Helium multiplies bytes by bytes) */
  int16_t out_min;
  int16_t out_max;
};

void mpgru_rows_2(const mpgru_linear* l, const int16_t* x, int32_t* acc);
void mpgru_rows_3(const mpgru_linear* l, const int16_t* x, int32_t* acc);
void mpgru_rows_4(const mpgru_linear* l, const int16_t* x, int32_t* acc);
void mpgru_rows_5(const mpgru_linear* l, const int16_t* x, int32_t* acc);
void mpgru_rows_6(const mpgru_linear* l, const int16_t* x, int32_t* acc);
void mpgru_rows_7(const mpgru_linear* l, const int16_t* x, int32_t* acc);
void mpgru_rows_8(const mpgru_linear* l, const int16_t* x, int32_t* acc);

/* Inputs a linear of `cols` columns at `bits` reads: cols rounded up to a whole word (a whole
 * vector on Helium). */
#define MPGRU_ROUND_UP(n, m) ((((n) + (m)-1) / (m)) * (m))
#if MPGRU_MVE
#define MPGRU_PADDED_COLS(cols, bits) MPGRU_ROUND_UP((cols), (bits) == 8 ? 16 : 8 * (16 / (bits)))
#else
#define MPGRU_PADDED_COLS(cols, bits) MPGRU_ROUND_UP((cols), 2 * (16 / (bits)))
#endif

/* y = clamp(apply(apply(a << 20, a_mul) + apply(b << 20, b_mul), out_mul)): TFLite's add. */
typedef struct {
  mpgru_multiplier a;
  mpgru_multiplier b;
  mpgru_multiplier out;
  int16_t out_min;
  int16_t out_max;
} mpgru_add;

/* y = clamp(apply(a * b, multiplier)). */
typedef struct {
  mpgru_multiplier multiplier;
  int16_t out_min;
  int16_t out_max;
} mpgru_mul;

/* y = table[q - in_min]; one byte per entry, signed or unsigned as the output point. */
typedef struct {
  const int8_t* signed_table;    /* set when the output is signed, else NULL */
  const uint8_t* unsigned_table; /* set when the output is unsigned, else NULL */
  int16_t in_min;
} mpgru_lut;

/* One GRU layer (the PyTorch variant: r = sigma(a_ir + a_hr), z = sigma(a_iz + a_hz),
 * n = tanh(a_in + r * a_hn) with the reset gate applied after the recurrent product,
 * h' = (1 - z) * n + z * h). Gates are indexed r = 0, z = 1, n = 2. */
typedef struct {
  int32_t input_size;
  int32_t hidden;
  mpgru_linear lin_i[3]; /* a_ig = W_ig x + b_ig */
  mpgru_linear lin_h[3]; /* a_hg = W_hg h + b_hg */
  mpgru_add sum[3];      /* r, z: lin_i + lin_h; n: lin_i.n + mul_rn */
  mpgru_lut act[3];      /* sigma, sigma, tanh */
  mpgru_mul mul_rn;      /* r * a_hn */
  mpgru_mul mul_un;      /* (1 - z) * n, 1 - z exact as one_z - z */
  mpgru_mul mul_zh;      /* z * h */
  mpgru_add h_add;       /* h' = mul_un + mul_zh */
  int16_t one_z;         /* the largest value of z's unsigned range: the real value 1 */
} mpgru_gru_layer;

/* The token embedding: `vocabulary` rows of `dim` packed `bits`-bit values, each requantized to
 * the model input's grid: x[f] = clamp(apply(table[token][f], to_input), in_min, in_max). */
typedef struct {
  const uint8_t* table;
  int32_t vocabulary;
  int32_t dim;
  int8_t bits;
  mpgru_multiplier to_input;
  int16_t in_min;
  int16_t in_max;
} mpgru_embedding;

/* ---- Inline operators (rounding and saturation as stated; bit-exact with the engine) ---- */

/* Inlined even at -Os, where a call would also keep their parameters from being folded. */
#if defined(__GNUC__)
#define MPGRU_INLINE static inline __attribute__((always_inline))
#else
#define MPGRU_INLINE static inline
#endif

MPGRU_INLINE int32_t mpgru_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

#if defined(__GNUC__)
/* GCC and Clang shift negative integers arithmetically (documented), which this uses.
 * Multipliers below 0.5 (shift < 0, k = 31 - shift >= 32), the common case, need no 64-bit
 * shift and no saturation: with q = p - (p < 0), floor((q + 2^(k-1)) / 2^k) is
 * ((q >> (k - 1)) + 1) >> 1, and q >> (k - 1) is the high word shifted (k - 1 >= 31). For p >= 0
 * that rounds half up; for p < 0 it is -((|p| + 2^(k-1)) >> k): ties away from zero, as the
 * general case below. */
MPGRU_INLINE int32_t mpgru_apply(int32_t x, int32_t m0, int32_t shift) {
  const int64_t p = (int64_t)x * (int64_t)m0;
  if (shift < 0) {
    const int64_t q = p - (int64_t)(p < 0);
    const int32_t hi = (int32_t)(q >> 32); /* |p| < 2^62: |hi| < 2^30 */
    const int32_t t = shift == -1 ? hi * 2 + (int32_t)((uint32_t)q >> 31) : hi >> (-shift - 2);
    return (t + 1) >> 1;
  }
  {
    const int k = 31 - shift;
    const int64_t y = (p + ((int64_t)1 << (k - 1)) - (int64_t)(p < 0)) >> k;
    if (y > INT32_MAX) return INT32_MAX;
    if (y < INT32_MIN) return INT32_MIN;
    return (int32_t)y;
  }
}
#else
MPGRU_INLINE int32_t mpgru_apply(int32_t x, int32_t m0, int32_t shift) {
  /* |x * m0| < 2^62; round(|p| / 2^k), k = 31 - shift in [1, 62], half up, as
   * ((|p| >> (k - 1)) + 1) >> 1; the sign is put back afterwards (ties away from zero). */
  const int64_t product = (int64_t)x * (int64_t)m0;
  const uint64_t magnitude = product < 0 ? (uint64_t)(-product) : (uint64_t)product;
  const uint64_t rounded = ((magnitude >> (30 - shift)) + 1u) >> 1;
  const int64_t y = product < 0 ? -(int64_t)rounded : (int64_t)rounded;
  if (y > INT32_MAX) return INT32_MAX;
  if (y < INT32_MIN) return INT32_MIN;
  return (int32_t)y;
}
#endif

/* apply(q << 20, m) for |q| <= 255: the add's operand rescaled. A multiplier that is a power of two
 * 2^(shift - 1) (m0 = 2^30; TFLite's add gives the larger operand 0.5) is exact there, q 2^(19 +
 * shift) for shift in [-19, 1], so no rounding is needed; the exported models' constant operands
 * fold the test away. */
MPGRU_INLINE int32_t mpgru_rescale_q(int32_t q, mpgru_multiplier m) {
  if (m.m0 == (1 << 30) && m.shift >= -19 && m.shift <= 1) return q * (1 << (19 + m.shift));
  return mpgru_apply(q * (1 << 20), m.m0, m.shift);
}

/* The element-wise operators, inline: the exported models' unit loops call them on their
 * layers' `static const` parameters, which the compiler then folds into the code (no loads, no
 * branches on the multipliers' shifts); mpgru_*_apply below are the same as functions. */
MPGRU_INLINE int16_t mpgru_add_q(const mpgru_add* op, int32_t qa, int32_t qb) {
  /* |qa|, |qb| <= 255: the shifts by 20 stay below 2^28 and never saturate, and each rescaled
   * operand is below 255 * 2^20 * 0.5 < 2^28 (multipliers <= 0.5): the int32 sum cannot overflow.
   */
  const int32_t a = mpgru_rescale_q(qa, op->a);
  const int32_t b = mpgru_rescale_q(qb, op->b);
  return (int16_t)mpgru_clamp(mpgru_apply(a + b, op->out.m0, op->out.shift), op->out_min,
                              op->out_max);
}

MPGRU_INLINE int16_t mpgru_mul_q(const mpgru_mul* op, int32_t qa, int32_t qb) {
  return (int16_t)mpgru_clamp(mpgru_apply(qa * qb, op->multiplier.m0, op->multiplier.shift),
                              op->out_min, op->out_max);
}

MPGRU_INLINE int16_t mpgru_lut_q(const mpgru_lut* op, int32_t q) {
  const int32_t i = q - op->in_min;
  return op->signed_table != NULL ? (int16_t)op->signed_table[i] : (int16_t)op->unsigned_table[i];
}

/* round(x * m0 / 2^(31 - shift)): the exact 64-bit product rounded once, ties away from zero,
 * saturated to int32. */
int32_t mpgru_apply_multiplier(int32_t x, mpgru_multiplier m);

/* x * 2^exponent, exponent in [0, 31], saturated to int32. */
int32_t mpgru_saturating_left_shift(int32_t x, int exponent);

/* Value i of a packed stream of `bits`-bit two's-complement values (bits in 2..8). */
int32_t mpgru_packed_at(const uint8_t* bytes, uint32_t i, int bits);

/* bias + sum_j w[j] * x[j] over n packed weights starting at bit `first_bit`. The model's
 * generator proved the sum fits int32 for every input in range. */
int32_t mpgru_dot(const uint8_t* weights, uint32_t first_bit, int bits, const int16_t* x, int32_t n,
                  int32_t bias);

/* Every row of a linear layer, requantized and clamped to the output range, into y[0 .. rows),
 * acc[0 .. rows) the int32 accumulators (scratch). x holds MPGRU_PADDED_COLS(cols, bits) values;
 * those beyond cols must be in the input's range too (their weights are 0, but the ternary
 * kernel's exact segments count on the range): the exported models write 0 there. */
void mpgru_linear_apply(const mpgru_linear* l, const int16_t* x, int32_t* acc, int16_t* y);

/* The add scheme; |qa|, |qb| <= 255. */
int16_t mpgru_add_apply(const mpgru_add* op, int32_t qa, int32_t qb);

/* The product; |qa * qb| <= 255 * 255. */
int16_t mpgru_mul_apply(const mpgru_mul* op, int32_t qa, int32_t qb);

/* A table lookup; q within the table's input range. */
int16_t mpgru_lut_apply(const mpgru_lut* op, int32_t q);

/* The six linears of a layer's time step into out: a_ir, a_iz, a_in (from the layer input x),
 * a_hr, a_hz, a_hn (from the previous state h_old), `hidden` values each. x and h_old are padded
 * as their linears read them (MPGRU_PADDED_COLS). Scratch owned by the caller: acc of `hidden`
 * int32 (a linear's accumulators), out of 6 * hidden int16. The element-wise operators that
 * follow are generated per layer (NAME_units_K in the model's C), on the layer's constants. */
void mpgru_gru_linears(const mpgru_gru_layer* layer, const int16_t* x, const int16_t* h_old,
                       int32_t* acc, int16_t* out);

/* Row `token` (in [0, vocabulary)) of the embedding on the input grid, dim values. */
void mpgru_embedding_row(const mpgru_embedding* e, int32_t token, int16_t* x);

#ifdef __cplusplus
}
#endif

#endif /* MPGRU_RT_H */
