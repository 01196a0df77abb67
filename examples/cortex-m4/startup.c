/* startup.c: the vector table and reset handler of the Cortex-M4 (mps2-an386) and Cortex-M55
 * (mps3-an547) examples. The C
 * library's own start-up code (newlib's crt0 from --specs=rdimon.specs) clears .bss, sets up
 * semihosting and calls main. */
#include <stdint.h>

extern void _start(void);
extern uint32_t __StackTop;

void reset_handler(void);
void fault_handler(void);

void reset_handler(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  /* A core with a floating-point unit or Helium (the Cortex-M55 example): grant access to
   * coprocessors 10 and 11 (CPACR) before any code uses their registers. */
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  _start();
  for (;;) {
  }
}

/* A fault stops the program where a debugger can see it; under QEMU the test's time-out ends it. */
void fault_handler(void) {
  for (;;) {
  }
}

/* Initial stack pointer, reset, NMI, hard fault, memory management, bus and usage faults. */
__attribute__((section(".vectors"), used)) static const uintptr_t vectors[7] = {
    (uintptr_t)&__StackTop,   (uintptr_t)reset_handler, (uintptr_t)fault_handler,
    (uintptr_t)fault_handler, (uintptr_t)fault_handler, (uintptr_t)fault_handler,
    (uintptr_t)fault_handler};
