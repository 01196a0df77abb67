/* main.c: an exported mpgru model streaming on a Cortex-M4 (Arm MPS2 AN386 under QEMU, or a
 * board with the same memory map).
 *
 * The model is exported with `mpgru export MODEL.mpq --out DIR --name model`. A device feeds it
 * one time step at a time as the features arrive (here a stand-in front end makes them), keeps
 * only the caller-owned `model_state` between steps, and reads the logits at the end of a
 * sequence (a per-step model, speech enhancement, reads its gains after every step: those are
 * timed with the step). SysTick counts the cycles of every model_step: under
 * `qemu-system-arm -icount shift=0` every instruction takes 1 ns of virtual time and SysTick
 * runs at the board's clock (25 MHz: one tick is 40 instructions; CORE_MHZ).
 *
 * With GOLDEN defined (make GOLDEN=1) it first runs model_golden_check(): real sequences
 * exported with the model (mpgru export --golden), compared with the engine at every step.
 * Prints the class of every sequence, the instructions per step and the deepest stack use
 * seen below main's frame (the stack is painted before the model runs: a measurement of the
 * run, beside the static bound of -fstack-usage). */
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#ifndef SEQUENCES
#define SEQUENCES 2
#endif
#ifndef STEPS
#define STEPS 28
#endif

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
/* Instructions per SysTick tick under -icount shift=0 (1 ns each): 1000 / the core clock in MHz,
 * as a fraction. The MPS2 AN386 runs at 25 MHz (40 per tick), the MPS3 AN547 at 32 MHz (31.25:
 * the Cortex-M55 example passes -DCORE_MHZ=32); both measured with a loop of known length. */
#ifndef CORE_MHZ
#define CORE_MHZ 25u
#endif
#define STACK_PAINT_BYTES 8192u
#define STACK_PAINT 0xA5A5A5A5u

/* A stand-in for the sensor front end: a deterministic pseudo-random stream within the model's
 * quantized input range (a device would quantize its own features, see mpgru_input.h). */
static uint32_t front_end_state = 12345u;

static uint32_t next_random(void) {
  front_end_state = front_end_state * 1664525u + 1013904223u;
  return front_end_state >> 8;
}

#ifdef MODEL_VOCABULARY
static int32_t next_token(void) {
  return (int32_t)(next_random() % MODEL_VOCABULARY);
}
#else
static void next_frame(model_input_t* x) {
  const uint32_t span = (uint32_t)(MODEL_INPUT_MAX - MODEL_INPUT_MIN + 1);
  int32_t f;
  for (f = 0; f < MODEL_FEATURES; ++f) {
    x[f] = (model_input_t)(MODEL_INPUT_MIN + (int32_t)(next_random() % span));
  }
}
#endif

static void systick_start(void) {
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0u;
  SYST_CSR = 5u; /* processor clock, no interrupt, enabled */
}

/* The stack pointer. */
static uintptr_t stack_pointer(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

static uintptr_t stack_painted_from; /* the stack pointer when the stack was painted */

/* Fills STACK_PAINT_BYTES of the stack below the caller's frame with a pattern (leaving 64
 * bytes for this function); returns the lowest painted word. */
static __attribute__((noinline)) volatile uint32_t* paint_stack(void) {
  const uintptr_t sp = stack_pointer();
  const uintptr_t top = (sp - 64u) & ~(uintptr_t)3u;
  volatile uint32_t* const lowest = (volatile uint32_t*)(top - STACK_PAINT_BYTES);
  uint32_t i;
  for (i = 0; i < STACK_PAINT_BYTES / 4u; ++i) lowest[i] = STACK_PAINT;
  stack_painted_from = sp;
  return lowest;
}

/* Bytes of stack below the painting caller's frame that something wrote to since (64 at least:
 * the unpainted margin). */
static uint32_t stack_used(volatile uint32_t* lowest) {
  uint32_t untouched = 0u;
  while (untouched < STACK_PAINT_BYTES / 4u && lowest[untouched] == STACK_PAINT) ++untouched;
  return (uint32_t)(stack_painted_from - (uintptr_t)(lowest + untouched));
}

#ifdef GOLDEN
int model_golden_check(void); /* model_golden.c, written by mpgru export --golden */
#endif

int main(void) {
  static model_state state;
  int32_t logits[MODEL_CLASSES];
  uint64_t ticks = 0u;
  uint32_t before, after;
  int32_t i, t, c, best[SEQUENCES];
  uint32_t stack;
  volatile uint32_t* painted;
#ifndef MODEL_VOCABULARY
  model_input_t frame[MODEL_FEATURES];
#endif

#ifdef GOLDEN
  if (model_golden_check() != 0) return 1;
#endif
  systick_start();
  painted = paint_stack();
  for (i = 0; i < SEQUENCES; ++i) {
    model_reset(&state);
    for (t = 0; t < STEPS; ++t) {
      int status;
#ifdef MODEL_VOCABULARY
      const int32_t token = next_token();
      before = SYST_CVR;
      status = model_step(&state, token);
#else
      next_frame(frame);
      before = SYST_CVR;
      status = model_step(&state, frame);
#endif
#ifdef MODEL_GAIN_MAX
      /* A per-step model (speech enhancement): its gains are part of every frame's work. */
      if (status == MPGRU_OK) status = model_gains(&state, logits);
#endif
      after = SYST_CVR;
      ticks += (before - after) & 0xFFFFFFu;
      if (status != MPGRU_OK) {
        printf("step %ld of sequence %ld refused: %d\n", (long)t, (long)i, status);
        return 1;
      }
    }
    model_logits(&state, logits);
    best[i] = 0;
    for (c = 1; c < MODEL_CLASSES; ++c) {
      if (logits[c] > logits[best[i]]) best[i] = c;
    }
  }
  stack = stack_used(painted); /* before printf, whose stack is not the model's */
  for (i = 0; i < SEQUENCES; ++i) printf("sequence %ld: class %ld\n", (long)i, (long)best[i]);
  printf("steps %ld\n", (long)SEQUENCES * STEPS);
  printf("instructions_per_step %lu\n",
         (unsigned long)(ticks * 1000u / (CORE_MHZ * (uint64_t)SEQUENCES * STEPS)));
  printf("stack_bytes %lu\n", (unsigned long)stack);
  return 0;
}
