/* mpgru_input.c: float -> quantized input, bit-exact with the engine's ref::quantize. */
#include "mpgru_input.h"

int32_t mpgru_quantize(double x, double scale, int32_t qmin, int32_t qmax) {
  const double q = x / scale;
  double whole;
  if (q != q) return qmin > 0 ? qmin : (qmax < 0 ? qmax : 0); /* NaN */
  /* Clamping first is the same as rounding first: round(q) <= qmin exactly when q <= qmin
   * after rounding, and qmin, qmax are integers. Inside the range the cast is defined. */
  if (q <= (double)qmin) return qmin;
  if (q >= (double)qmax) return qmax;
  whole = (double)(int32_t)q; /* toward zero; q - whole is exact */
  if (q - whole >= 0.5) return (int32_t)whole + 1;
  if (whole - q >= 0.5) return (int32_t)whole - 1;
  return (int32_t)whole;
}
