// The machine's int8 multiply-accumulate peak per kernel path, measured: a loop of independent
// dot-product instructions with no loads (what no real kernel can beat), one thread.
#pragma once

#include "engine/kernel_path.hpp"

namespace mpgru::bench {

// Multiply-accumulates per second of the path's instruction: avx512_vnni vpdpbusd on 512 bits
// (64 u8 x s8 products), avx2 vpmaddwd + vpaddd on 256 bits (16 int16 products), portable 0.
double int8_peak_macs_per_second(engine::KernelPath path);

}  // namespace mpgru::bench
