/* startup.c: the Cortex-M4 vector table and reset handler for the mps2-an386 example. The C
 * library's own start-up code (newlib's crt0 from --specs=rdimon.specs) clears .bss, sets up
 * semihosting and calls main. */
#include <stdint.h>

extern void _start(void);
extern uint32_t __StackTop;

void reset_handler(void);
void fault_handler(void);

void reset_handler(void) {
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
