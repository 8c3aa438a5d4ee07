// lowbit stream harness for bound user RTL (`lowbit verify --rtl ... --bind bind.json`): drives a user's
// top module through its own clock, reset and valid/ready streams, from queues of input transactions, and
// logs what the module did every cycle. The module-specific part is the generated header `lowbit_ports.h`
// (src/rtl/bind/harness.ts): port names, reset polarity, the streams' ports and packing.
//
// Usage: sim <stimulus.bin> <log.bin> [<trace.vcd>]
//
// stimulus.bin, little-endian uint32 words:
//   max_cycles, tail, garbage_seed, pattern_len, stall_limit, count_in[LB_NIN], expect_out[LB_NOUT],
//   pattern[pattern_len]  cycle c uses pattern[c % pattern_len]; bit s: input stream s may offer a
//                         transaction this cycle; bit 16+j: output stream j is ready this cycle
//   then per input stream s: count_in[s] transactions of LB_TXN_WORDS[s] words each
// log.bin: cycles, then per cycle: the control word (bits 0..7 input stream s valid, 8..15 input stream s
//   accepted (valid and ready), 16..23 output stream j ready, 24..31 output stream j valid) followed by
//   LB_LOG_WORDS words: every output stream's fields, sampled.
//
// Protocol (docs/verify.md): the reset port is held at its active level for LB_RST_CYCLES cycles with
// every valid and ready low and the constants applied; then each cycle c: drive the inputs, clock low,
// eval, sample (the sample point), clock high, eval (the rising edge: handshakes happen here). An input
// stream offers its next transaction when the pattern allows it and, once offered, keeps offering it
// (valid high, data stable) until accepted; while not offering, its data ports carry pseudo-random
// garbage (a design must ignore data without valid). A stream with LB_IN_AFTER[s] = p >= 0 offers
// nothing until stream p sent all its transactions (an accelerator's images wait for its parameter
// image). The run ends `tail` cycles after every input transaction was accepted and every output stream
// produced its expected count, after stall_limit cycles without any handshake, or at max_cycles.
// VCD: 1 ns timescale, 10 ns period, reset cycle r and cycle c at k = r or c + LB_RST_CYCLES; the low
// phase (the sample point) is dumped at 10*k, the rising edge at 10*k + 5.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#if LOWBIT_TRACE
#include "verilated_vcd_c.h"
#endif

#include "port_io.h"  // lb_put, lb_get

/** Puts `n` words into a port, the top word masked to the port's width (Verilator needs clean top bits). */
template <typename T>
static inline void lb_put_masked(T& port, const uint32_t* w, int n, uint32_t top_mask) {
  uint32_t t[64];
  for (int i = 0; i < n; ++i) t[i] = w[i];
  t[n - 1] &= top_mask;
  lb_put(port, t);
}
template <std::size_t N>
static inline void lb_put_masked(VlWide<N>& port, const uint32_t* w, int n, uint32_t top_mask) {
  for (int i = 0; i < n; ++i) port[i] = w[i];
  port[n - 1] &= top_mask;
}

// LB_NIN, LB_NOUT, LB_TXN_WORDS[], LB_MAX_TXN_WORDS, LB_LOG_WORDS, LB_RST_CYCLES, lb_clock(), lb_reset(),
// lb_constants(), lb_drive_in(), lb_in_ready(), lb_set_out_ready(), lb_out_valid(), lb_log()
#include "lowbit_ports.h"

static void fail(const char* what, const char* path) {
  std::fprintf(stderr, "lowbit bind harness: %s: %s\n", what, path);
  std::exit(2);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <stimulus.bin> <log.bin> [<trace.vcd>]\n", argv[0]);
    return 2;
  }
  FILE* fin = std::fopen(argv[1], "rb");
  if (!fin) fail("cannot open stimulus", argv[1]);
  std::vector<uint32_t> in;
  uint32_t buf[4096];
  std::size_t got;
  while ((got = std::fread(buf, sizeof(uint32_t), 4096, fin)) > 0) in.insert(in.end(), buf, buf + got);
  std::fclose(fin);
  std::size_t pos = 0;
  auto next = [&]() -> uint32_t {
    if (pos >= in.size()) fail("stimulus too short", argv[1]);
    return in[pos++];
  };
  const uint32_t max_cycles = next();
  const uint32_t tail = next();
  uint64_t rnd = 0x9e3779b97f4a7c15ULL ^ next();
  const uint32_t pattern_len = next();
  const uint32_t stall_limit = next();
  if (pattern_len == 0) fail("empty valid/ready pattern", argv[1]);
  uint32_t count_in[LB_NIN > 0 ? LB_NIN : 1];
  uint32_t expect_out[LB_NOUT];
  for (int s = 0; s < LB_NIN; ++s) count_in[s] = next();
  for (int j = 0; j < LB_NOUT; ++j) expect_out[j] = next();
  const std::size_t pattern = pos;
  pos += pattern_len;
  std::size_t txn_base[LB_NIN > 0 ? LB_NIN : 1];
  for (int s = 0; s < LB_NIN; ++s) {
    txn_base[s] = pos;
    pos += static_cast<std::size_t>(count_in[s]) * LB_TXN_WORDS[s];
  }
  if (pos != in.size()) fail("stimulus size does not match its header", argv[1]);

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
    if (!tfp->isOpen()) fail("cannot open the VCD", argv[3]);
  }
#else
  if (argc > 3) fail("built without --trace, cannot write", argv[3]);
#endif
  Vtop* m = top.get();
  uint64_t k = 0;
  auto half = [&](int level) {
    lb_clock(m) = level;
    m->eval();
#if LOWBIT_TRACE
    if (tfp) tfp->dump(10 * k + (level ? 5 : 0));
#endif
  };
  static const uint32_t zeros[LB_MAX_TXN_WORDS + 1] = {0};
  lb_constants(m);
  for (int s = 0; s < LB_NIN; ++s) lb_drive_in(m, s, zeros, false);
  for (int j = 0; j < LB_NOUT; ++j) lb_set_out_ready(m, j, false);
  lb_reset(m) = LB_RST_ACTIVE;
  for (; k < LB_RST_CYCLES; ++k) {
    half(0);
    half(1);
  }
  lb_reset(m) = !LB_RST_ACTIVE;

  std::vector<uint32_t> log(1, 0);
  uint32_t ptr[LB_NIN > 0 ? LB_NIN : 1] = {0};
  bool pending[LB_NIN > 0 ? LB_NIN : 1] = {false};
  uint32_t outs[LB_NOUT] = {0};
  uint32_t garbage[LB_MAX_TXN_WORDS + 1];
  uint32_t tail_left = tail;
  uint32_t last_handshake = 0;
  uint32_t c = 0;
  for (; c < max_cycles && c - last_handshake <= stall_limit; ++c, ++k) {
    bool done = true;
    for (int s = 0; s < LB_NIN; ++s) done = done && ptr[s] == count_in[s];
    for (int j = 0; j < LB_NOUT; ++j) done = done && outs[j] >= expect_out[j];
    if (done) {
      if (tail_left == 0) break;
      --tail_left;
    }
    const uint32_t pat = in[pattern + c % pattern_len];
    uint32_t ctrl = 0;
    bool offer[LB_NIN > 0 ? LB_NIN : 1];
    for (int s = 0; s < LB_NIN; ++s) {
      const int after = LB_IN_AFTER[s];
      const bool gate_open = after < 0 || ptr[after] == count_in[after];
      offer[s] = pending[s] || (gate_open && ptr[s] < count_in[s] && ((pat >> s) & 1u));
      if (offer[s]) {
        lb_drive_in(m, s, &in[txn_base[s] + static_cast<std::size_t>(ptr[s]) * LB_TXN_WORDS[s]], true);
        ctrl |= 1u << s;
      } else {
        for (int i = 0; i < LB_TXN_WORDS[s]; ++i) {  // xorshift64: garbage while not valid
          rnd ^= rnd << 13;
          rnd ^= rnd >> 7;
          rnd ^= rnd << 17;
          garbage[i] = static_cast<uint32_t>(rnd >> 16);
        }
        lb_drive_in(m, s, garbage, false);
      }
    }
    for (int j = 0; j < LB_NOUT; ++j) {
      const bool r = (pat >> (16 + j)) & 1u;
      lb_set_out_ready(m, j, r);
      if (r) ctrl |= 1u << (16 + j);
    }
    half(0);
    bool accepted[LB_NIN > 0 ? LB_NIN : 1];
    for (int s = 0; s < LB_NIN; ++s) {
      accepted[s] = offer[s] && lb_in_ready(m, s);
      if (accepted[s]) {
        ctrl |= 1u << (8 + s);
        last_handshake = c;
      }
    }
    for (int j = 0; j < LB_NOUT; ++j) {
      if (lb_out_valid(m, j)) {
        ctrl |= 1u << (24 + j);
        if ((ctrl >> (16 + j)) & 1u) {
          ++outs[j];
          last_handshake = c;
        }
      }
    }
    const std::size_t at = log.size();
    log.resize(at + 1 + LB_LOG_WORDS);
    log[at] = ctrl;
    lb_log(m, &log[at + 1]);
    half(1);
    for (int s = 0; s < LB_NIN; ++s) {
      if (accepted[s]) ++ptr[s];
      pending[s] = offer[s] && !accepted[s];
    }
  }
  log[0] = c;
  half(0);
  m->final();
#if LOWBIT_TRACE
  if (tfp) tfp->close();
#endif
  FILE* fout = std::fopen(argv[2], "wb");
  if (!fout) fail("cannot open the log", argv[2]);
  if (std::fwrite(log.data(), sizeof(uint32_t), log.size(), fout) != log.size()) fail("short write", argv[2]);
  if (std::fclose(fout) != 0) fail("cannot close the log", argv[2]);
  return 0;
}
