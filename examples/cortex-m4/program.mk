# The build and run rules of the example boards, included by cortex-m4/Makefile and
# cortex-m55/Makefile after they set BOARD_ARCH (compiler flags of the core), BOARD_LD (the memory
# map), BOARD_MACHINE (QEMU's machine) and BOARD_MHZ (its clock, for SysTick's count); the program
# (main.c, startup.c, sections.ld) lives beside this file.
MODEL_DIR ?= model
STEPS ?= 28
SEQUENCES ?= 2
OUT ?= build
GOLDEN ?=
OPT ?= -Os

CC := arm-none-eabi-gcc
SIZE := arm-none-eabi-size
QEMU := qemu-system-arm
PROGRAM := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))

CFLAGS := $(BOARD_ARCH) -std=c99 $(OPT) -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
          -fstack-usage -I$(MODEL_DIR) $(EXTRA_CFLAGS)
LDFLAGS := $(BOARD_ARCH) --specs=rdimon.specs -L$(PROGRAM) -T $(BOARD_LD) -Wl,--gc-sections \
           -Wl,-Map=$(OUT)/app.map

MODEL_OBJECTS := $(OUT)/model.o $(OUT)/mpgru_rt.o
APP_OBJECTS := $(OUT)/main.o $(OUT)/startup.o
ifneq ($(GOLDEN),)
APP_OBJECTS += $(OUT)/model_golden.o
GOLDEN_FLAGS := -DGOLDEN
endif

.PHONY: all run size clean
all: $(OUT)/app.elf

$(OUT):
	mkdir -p $@

$(OUT)/model.o: $(MODEL_DIR)/model.c $(MODEL_DIR)/model.h $(MODEL_DIR)/mpgru_rt.h | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@
$(OUT)/mpgru_rt.o: $(MODEL_DIR)/mpgru_rt.c $(MODEL_DIR)/mpgru_rt.h | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@
$(OUT)/main.o: $(PROGRAM)main.c $(MODEL_DIR)/model.h | $(OUT)
	$(CC) $(CFLAGS) -DSTEPS=$(STEPS) -DSEQUENCES=$(SEQUENCES) -DCORE_MHZ=$(BOARD_MHZ)u \
	  $(GOLDEN_FLAGS) -c $< -o $@
$(OUT)/model_golden.o: $(MODEL_DIR)/model_golden.c $(MODEL_DIR)/model.h | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@
$(OUT)/startup.o: $(PROGRAM)startup.c | $(OUT)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/app.elf: $(MODEL_OBJECTS) $(APP_OBJECTS)
	$(CC) $(LDFLAGS) $^ -o $@

# The model's and the runtime's own sections (flash: .text + .rodata; RAM: .data + .bss).
size: $(MODEL_OBJECTS)
	$(SIZE) -A $(MODEL_OBJECTS)

run: $(OUT)/app.elf
	timeout 600 $(QEMU) -M $(BOARD_MACHINE) -nographic -monitor none \
	  -semihosting-config enable=on,target=native -icount shift=0 -kernel $<

clean:
	rm -rf $(OUT)
