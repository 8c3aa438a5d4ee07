// lowbit generic Verilator harness: drives any unit cycle by cycle from a binary stimulus file and writes
// the sampled outputs (and optionally a VCD). The unit-specific part is the generated header
// `lowbit_ports.h` (written by src/rtl/harness.ts), which maps the port list to the Verilated model's
// members; the model class is always `Vtop` (built with `--prefix Vtop`).
//
// Usage: sim <stimulus.bin> <outputs.bin> [<trace.vcd>]
//
// Protocol (docs/verify.md, docs/contracts.md section 3):
//  - every port value is ceil(width/32) little-endian uint32 words, least significant word first;
//    a cycle's input vector is the input ports' words back to back in port order (LB_IN_WORDS words),
//    the stimulus file is the cycles back to back; outputs likewise (LB_OUT_WORDS words per cycle);
//  - reset: rst_ni = 0 with every input 0 for 2 cycles, then rst_ni = 1;
//  - cycle t: set the inputs, clk_i = 0, eval, sample outputs, clk_i = 1, eval (the rising edge);
//  - VCD (1 ns timescale, 10 ns clock period): reset cycle r in [0, 2) and cycle t at c = r or t + 2;
//    the low phase (inputs applied, sample point) is dumped at time 10*c, the rising edge at 10*c + 5.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#if LOWBIT_TRACE
#include "verilated_vcd_c.h"
#endif

// Port copy helpers; the Verilated member type follows the port width (CData/SData/IData/QData/VlWide).
template <typename T>
static inline void lb_put(T& port, const uint32_t* w) { port = static_cast<T>(w[0]); }
static inline void lb_put(QData& port, const uint32_t* w) {
  port = static_cast<QData>(w[0]) | (static_cast<QData>(w[1]) << 32);
}
template <std::size_t N>
static inline void lb_put(VlWide<N>& port, const uint32_t* w) {
  for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}
template <typename T>
static inline void lb_get(const T& port, uint32_t* w) { w[0] = static_cast<uint32_t>(port); }
static inline void lb_get(const QData& port, uint32_t* w) {
  w[0] = static_cast<uint32_t>(port);
  w[1] = static_cast<uint32_t>(port >> 32);
}
template <std::size_t N>
static inline void lb_get(const VlWide<N>& port, uint32_t* w) {
  for (std::size_t i = 0; i < N; ++i) w[i] = port[i];
}

#include "lowbit_ports.h"  // LB_IN_WORDS, LB_OUT_WORDS, lb_set_inputs(Vtop*, const uint32_t*), lb_get_outputs

static void fail(const char* what, const char* path) {
  std::fprintf(stderr, "lowbit harness: %s: %s\n", what, path);
  std::exit(2);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <stimulus.bin> <outputs.bin> [<trace.vcd>]\n", argv[0]);
    return 2;
  }
  FILE* fin = std::fopen(argv[1], "rb");
  if (!fin) fail("cannot open stimulus", argv[1]);
  std::fseek(fin, 0, SEEK_END);
  const long bytes = std::ftell(fin);
  std::fseek(fin, 0, SEEK_SET);
  const long vecBytes = static_cast<long>(sizeof(uint32_t)) * (LB_IN_WORDS > 0 ? LB_IN_WORDS : 1);
  if (bytes < 0 || bytes % vecBytes != 0) fail("stimulus size is not a whole number of cycles", argv[1]);
  const std::size_t cycles = static_cast<std::size_t>(bytes / vecBytes);
  std::vector<uint32_t> in(cycles * (LB_IN_WORDS > 0 ? LB_IN_WORDS : 1) + 1, 0);
  if (cycles > 0 && std::fread(in.data(), 1, static_cast<std::size_t>(bytes), fin) != static_cast<std::size_t>(bytes))
    fail("short read", argv[1]);
  std::fclose(fin);
  std::vector<uint32_t> out(cycles * LB_OUT_WORDS + 1, 0);
  std::vector<uint32_t> zeros(LB_IN_WORDS + 1, 0);

  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vtop>(ctx.get());
#if LOWBIT_TRACE
  std::unique_ptr<VerilatedVcdC> tfp;
  if (argc > 3) {
    ctx->traceEverOn(true);
    tfp = std::make_unique<VerilatedVcdC>();
    top->trace(tfp.get(), 99);
    tfp->set_time_unit("1ns");
    tfp->set_time_resolution("1ns");
    tfp->open(argv[3]);
    if (!tfp->isOpen()) fail("cannot open VCD", argv[3]);
  }
#define LB_DUMP(t) \
  do {             \
    if (tfp) tfp->dump(t); \
  } while (0)
#else
  if (argc > 3) fail("this simulator was built without --trace; cannot write", argv[3]);
#define LB_DUMP(t) \
  do {             \
  } while (0)
#endif

  uint64_t c = 0;
  top->rst_ni = 0;
  lb_set_inputs(top.get(), zeros.data());
  for (; c < 2; ++c) {
    top->clk_i = 0;
    top->eval();
    LB_DUMP(10 * c);
    top->clk_i = 1;
    top->eval();
    LB_DUMP(10 * c + 5);
  }
  top->rst_ni = 1;
  for (std::size_t t = 0; t < cycles; ++t, ++c) {
    lb_set_inputs(top.get(), in.data() + t * LB_IN_WORDS);
    top->clk_i = 0;
    top->eval();
    LB_DUMP(10 * c);
    lb_get_outputs(top.get(), out.data() + t * LB_OUT_WORDS);
    top->clk_i = 1;
    top->eval();
    LB_DUMP(10 * c + 5);
  }
  top->clk_i = 0;
  top->eval();
  LB_DUMP(10 * c);
  top->final();
#if LOWBIT_TRACE
  if (tfp) tfp->close();
#endif

  FILE* fout = std::fopen(argv[2], "wb");
  if (!fout) fail("cannot open outputs", argv[2]);
  const std::size_t outBytes = cycles * LB_OUT_WORDS * sizeof(uint32_t);
  if (outBytes > 0 && std::fwrite(out.data(), 1, outBytes, fout) != outBytes) fail("short write", argv[2]);
  if (std::fclose(fout) != 0) fail("cannot close outputs", argv[2]);
  return 0;
}
