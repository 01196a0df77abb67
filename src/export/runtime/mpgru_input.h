/* mpgru_input.h: float -> quantized input for hosts that have floating point; the only part of
 * an mpgru export that uses it. A device that receives integers already skips this file. */
#ifndef MPGRU_INPUT_H
#define MPGRU_INPUT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* round(x / scale) with ties away from zero, clamped to [qmin, qmax]: how the mpgru engine
 * quantizes a float feature (bit-exact with it for every finite x). NaN gives 0 clamped. */
int32_t mpgru_quantize(double x, double scale, int32_t qmin, int32_t qmax);

#ifdef __cplusplus
}
#endif

#endif /* MPGRU_INPUT_H */
