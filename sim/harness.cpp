// lowbit generic Verilator harness: drives any unit cycle by cycle from a binary stimulus file and writes
// the sampled outputs (and optionally a VCD). The unit-specific part is the generated header
// `lowbit_ports.h` (written by src/rtl/harness.ts), which maps the port list to the Verilated model's
// members; the model class is always `Vtop` (built with `--prefix Vtop`).
//
// Usage: sim <stimulus.bin> <outputs.bin> [<trace.vcd>]
// Built with -DLOWBIT_NO_MAIN it is the core of the in-process shim (sim/shim.cpp, a shared library
// loaded through koffi by src/rtl/inproc.ts).
//
// Protocol (docs/verify.md, "Timing and the harness protocol"):
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

#include "port_io.h"  // lb_put, lb_get

#include "lowbit_ports.h"  // LB_IN_WORDS, LB_OUT_WORDS, lb_set_inputs(Vtop*, const uint32_t*), lb_get_outputs

// ---- the simulation core, shared by main() below and the in-process shim (sim/shim.cpp) ----
struct LbSim {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vtop> top;
#if LOWBIT_TRACE
  std::unique_ptr<VerilatedVcdC> tfp;
#endif
  uint64_t c = 0;  // cycles run so far, reset included
};

static inline void lb_dump(LbSim& s, uint64_t t) {
#if LOWBIT_TRACE
  if (s.tfp) s.tfp->dump(t);
#else
  (void)s;
  (void)t;
#endif
}

/** Creates the model (and the VCD when `vcd` is non-empty) and runs the 2 reset cycles. Returns false
 * when the VCD cannot be opened or tracing was not built in. */
static bool lb_open_sim(LbSim& s, const char* vcd) {
  s.ctx = std::make_unique<VerilatedContext>();
  s.top = std::make_unique<Vtop>(s.ctx.get());
  if (vcd != nullptr && vcd[0] != 0) {
#if LOWBIT_TRACE
    s.ctx->traceEverOn(true);
    s.tfp = std::make_unique<VerilatedVcdC>();
    s.top->trace(s.tfp.get(), 99);
    s.tfp->set_time_unit("1ns");
    s.tfp->set_time_resolution("1ns");
    s.tfp->open(vcd);
    if (!s.tfp->isOpen()) return false;
#else
    return false;
#endif
  }
  uint32_t zeros[LB_IN_WORDS + 1] = {0};
  s.top->rst_ni = 0;
  lb_set_inputs(s.top.get(), zeros);
  for (; s.c < 2; ++s.c) {
    s.top->clk_i = 0;
    s.top->eval();
    lb_dump(s, 10 * s.c);
    s.top->clk_i = 1;
    s.top->eval();
    lb_dump(s, 10 * s.c + 5);
  }
  s.top->rst_ni = 1;
  return true;
}

/** Runs `cycles` cycles: inputs from `in` (LB_IN_WORDS per cycle), sampled outputs to `out`. */
static void lb_run_cycles(LbSim& s, const uint32_t* in, uint32_t* out, std::size_t cycles) {
  Vtop* top = s.top.get();
  for (std::size_t t = 0; t < cycles; ++t, ++s.c) {
    lb_set_inputs(top, in + t * LB_IN_WORDS);
    top->clk_i = 0;
    top->eval();
    lb_dump(s, 10 * s.c);
    lb_get_outputs(top, out + t * LB_OUT_WORDS);
    top->clk_i = 1;
    top->eval();
    lb_dump(s, 10 * s.c + 5);
  }
}

/** Ends the run: a last low phase in the VCD, final blocks, the VCD closed. */
static void lb_close_sim(LbSim& s) {
  s.top->clk_i = 0;
  s.top->eval();
  lb_dump(s, 10 * s.c);
  s.top->final();
#if LOWBIT_TRACE
  if (s.tfp) s.tfp->close();
#endif
}

#ifndef LOWBIT_NO_MAIN
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

  LbSim sim;
  if (!lb_open_sim(sim, argc > 3 ? argv[3] : nullptr)) fail("cannot write the VCD (built without --trace, or cannot open)", argv[3]);
  lb_run_cycles(sim, in.data(), out.data(), cycles);
  lb_close_sim(sim);

  FILE* fout = std::fopen(argv[2], "wb");
  if (!fout) fail("cannot open outputs", argv[2]);
  const std::size_t outBytes = cycles * LB_OUT_WORDS * sizeof(uint32_t);
  if (outBytes > 0 && std::fwrite(out.data(), 1, outBytes, fout) != outBytes) fail("short write", argv[2]);
  if (std::fclose(fout) != 0) fail("cannot close outputs", argv[2]);
  return 0;
}
#endif  // LOWBIT_NO_MAIN
