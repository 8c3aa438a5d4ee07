// The reference for co-simulation speed: a C++-only driver of the accelerator's Verilated model
// (hdl/accel_top, class Vtop), no lowbit harness and no TypeScript in the loop. It loads each image
// (in_we_i), pulses start_i, clocks until done_o and reads the outputs, and prints Verilator's own rate.
// Built by bench/accel.bench.ts with the same Verilator and C++ flags as lowbit's accelerator builds.
//
// Usage: accel_driver <images.bin> <W> <E> <repeat>   (memories read with $readmemh from the working folder)
// Prints one line: images=<n> cycles=<c> seconds=<s> cycles_per_s=<r> cpu_seconds=<s> cycles_per_cpu_s=<r>
// checksum=<x> (CPU time: std::clock, steadier than wall clock on a shared machine)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

static void tick(Vtop* top) {
  top->clk_i = 0;
  top->eval();
  top->clk_i = 1;
  top->eval();
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s <images.bin> <W> <E> <repeat>\n", argv[0]);
    return 2;
  }
  const uint32_t W = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
  const uint32_t E = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10));
  const uint32_t repeat = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 10));
  FILE* f = std::fopen(argv[1], "rb");
  if (f == nullptr || W == 0) {
    std::fprintf(stderr, "accel_driver: cannot open %s\n", argv[1]);
    return 2;
  }
  std::vector<uint32_t> words;
  uint32_t buf[4096];
  std::size_t got;
  while ((got = std::fread(buf, sizeof(uint32_t), 4096, f)) > 0) words.insert(words.end(), buf, buf + got);
  std::fclose(f);
  const std::size_t n = words.size() / W;

  VerilatedContext ctx;
  Vtop top(&ctx);
  top.rst_ni = 0;
  top.in_we_i = 0;
  top.start_i = 0;
  top.out_addr_i = 0;
  tick(&top);
  tick(&top);
  top.rst_ni = 1;

  uint64_t cycles = 0;
  uint32_t checksum = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  for (uint32_t r = 0; r < repeat; ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      top.in_we_i = 1;
      for (uint32_t w = 0; w < W; ++w, ++cycles) {
        top.in_addr_i = w;
        top.in_data_i = words[i * W + w];
        tick(&top);
      }
      top.in_we_i = 0;
      top.in_addr_i = 0;
      top.in_data_i = 0;
      top.start_i = 1;
      tick(&top);
      ++cycles;
      top.start_i = 0;
      do {
        tick(&top);
        ++cycles;
      } while (!top.done_o);
      for (uint32_t e = 1; e <= E; ++e, ++cycles) {
        top.out_addr_i = e < E ? e : 0;
        tick(&top);
        checksum = checksum * 31u + static_cast<uint32_t>(top.out_data_o);
      }
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  top.final();
  std::printf("images=%zu cycles=%llu seconds=%.6f cycles_per_s=%.0f cpu_seconds=%.6f cycles_per_cpu_s=%.0f checksum=%08x\n",
              n * repeat, static_cast<unsigned long long>(cycles), s, static_cast<double>(cycles) / s, cpu,
              static_cast<double>(cycles) / cpu, checksum);
  return 0;
}
