// lowbit transaction-level harness of the whole accelerator (hdl/accel_top): the host protocol runs here
// in C++, one accelerator run at a time, so nothing per cycle crosses into TypeScript or a file. Per run it
// returns the outputs, cycles_o, the measured start-to-done cycle count and a hash of every output port in
// every cycle, which src/rtl/accel_tx.ts compares with the TS model (src/rtl/accel_top.ts `hostImage` gives the
// same hash from the model). A run is one image, or an MLP batch of images written as one input map (W words,
// E = images x outputs per image). Built on the generic harness core (sim/harness.cpp: reset, clocking, VCD).
//
// Host protocol per run, called an image below (cycle-identical to the per-cycle co-simulation, docs/verify.md):
//   W cycles      in_we_i = 1, in_addr_i = w, in_data_i = word w;
//   1 cycle       start_i = 1;
//   T cycles      inputs 0 until done_o is sampled high (T = cycles_o = the model's cycles per inference);
//                 the done cycle is read 0 (out_addr_i = 0), then E - 1 cycles read e = 1 .. E-1;
//   1 cycle       inputs 0 (out_data_o shows output E-1).
//   out_data_o sampled in cycle done + e + 1 is output e.
// Hash: FNV-1a over 32-bit words, h = (h ^ w) * 16777619 from 2166136261, over the words busy_o, done_o,
// cycles_o, out_data_o of every cycle of the image in order.
// Result record per image (uint32): E outputs, cycles_o at done, T (0xffffffff: no done within the limit),
// hash.
//
// Process mode: accel_sim <images.bin> <results.bin> <W> <E> <maxCycles> [<trace.vcd>] reads images
// (W words each) and writes one record per image; memories are read with $readmemh from the working folder.
// With -DLOWBIT_ACCEL_LIB it is a shared library (C ABI below, called through koffi by src/rtl/accel_tx.ts).
#define LOWBIT_NO_MAIN 1
#include "harness.cpp"

#include <mutex>
#include <unistd.h>

static constexpr uint32_t kFnvBasis = 2166136261u;
static constexpr uint32_t kFnvPrime = 16777619u;
static constexpr uint32_t kNoDone = 0xffffffffu;

struct LbAccelIn {
  uint32_t we, addr, data, start, out_addr;
};

/** One cycle: apply inputs, sample (hashed), rising edge. Returns the sampled outputs through refs. */
static inline void lb_accel_cycle(LbSim& s, const LbAccelIn& in, uint32_t& h, uint32_t& done,
                                  uint32_t& cycles, uint32_t& data) {
  Vtop* top = s.top.get();
  top->in_we_i = in.we;
  top->in_addr_i = in.addr;
  top->in_data_i = in.data;
  top->start_i = in.start;
  top->out_addr_i = in.out_addr;
  top->clk_i = 0;
  top->eval();
  lb_dump(s, 10 * s.c);
  const uint32_t busy = top->busy_o;
  done = top->done_o;
  cycles = top->cycles_o;
  data = top->out_data_o;
  h = (h ^ busy) * kFnvPrime;
  h = (h ^ done) * kFnvPrime;
  h = (h ^ cycles) * kFnvPrime;
  h = (h ^ data) * kFnvPrime;
  top->clk_i = 1;
  top->eval();
  lb_dump(s, 10 * s.c + 5);
  ++s.c;
}

/** Runs n images (W words each); writes E + 3 words per image to rec. */
static void lb_accel_images(LbSim& s, const uint32_t* words, uint32_t W, uint32_t E, uint32_t n,
                            uint32_t maxCycles, uint32_t* rec) {
  uint32_t done = 0, cycles = 0, data = 0;
  for (uint32_t i = 0; i < n; ++i, rec += E + 3) {
    uint32_t h = kFnvBasis;
    const uint32_t* x = words + static_cast<std::size_t>(i) * W;
    for (uint32_t w = 0; w < W; ++w) lb_accel_cycle(s, {1, w, x[w], 0, 0}, h, done, cycles, data);
    lb_accel_cycle(s, {0, 0, 0, 1, 0}, h, done, cycles, data);
    uint32_t t = 0;
    do {
      lb_accel_cycle(s, {0, 0, 0, 0, 0}, h, done, cycles, data);
      ++t;
    } while (!done && t < maxCycles);
    rec[E] = cycles;
    rec[E + 1] = done ? t : kNoDone;
    for (uint32_t e = 1; e <= E; ++e) {
      lb_accel_cycle(s, {0, 0, 0, 0, e < E ? e : 0}, h, done, cycles, data);
      rec[e - 1] = data;
    }
    rec[E + 2] = h;
  }
}

/** Opens a simulation whose memories are read from `memDir` ($readmemh runs in the first eval, during the
 * reset cycles, relative to the working folder: changed for that moment only, under a lock). */
static bool lb_accel_open_in(LbSim& s, const char* memDir, const char* vcd) {
  static std::mutex cwdLock;
  std::lock_guard<std::mutex> guard(cwdLock);
  char here[4096];
  if (getcwd(here, sizeof here) == nullptr) return false;
  if (memDir != nullptr && memDir[0] != 0 && chdir(memDir) != 0) return false;
  const bool ok = lb_open_sim(s, vcd);
  if (chdir(here) != 0) return false;
  return ok;
}

#ifdef LOWBIT_ACCEL_LIB
extern "C" {
/** A new simulation after reset, memories from memDir, `vcd` empty for none. Null on failure. */
void* lb_accel_open(const char* memDir, const char* vcd) {
  auto* s = new LbSim();
  if (!lb_accel_open_in(*s, memDir, vcd)) {
    delete s;
    return nullptr;
  }
  return s;
}

/** Runs n images; rec receives n * (E + 3) words. */
void lb_accel_run(void* h, const uint32_t* words, uint32_t W, uint32_t E, uint32_t n, uint32_t maxCycles,
                  uint32_t* rec) {
  lb_accel_images(*static_cast<LbSim*>(h), words, W, E, n, maxCycles, rec);
}

/** Ends the simulation (closes the VCD) and frees it. */
void lb_accel_close(void* h) {
  auto* s = static_cast<LbSim*>(h);
  lb_close_sim(*s);
  delete s;
}
}
#else
static void accel_fail(const char* what, const char* path) {
  std::fprintf(stderr, "lowbit accel harness: %s: %s\n", what, path);
  std::exit(2);
}

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s <images.bin> <results.bin> <W> <E> <maxCycles> [<trace.vcd>]\n", argv[0]);
    return 2;
  }
  const uint32_t W = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10));
  const uint32_t E = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 10));
  const uint32_t maxCycles = static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 10));
  FILE* fin = std::fopen(argv[1], "rb");
  if (!fin) accel_fail("cannot open images", argv[1]);
  std::fseek(fin, 0, SEEK_END);
  const long bytes = std::ftell(fin);
  std::fseek(fin, 0, SEEK_SET);
  const long imgBytes = static_cast<long>(sizeof(uint32_t)) * W;
  if (W == 0 || bytes < 0 || bytes % imgBytes != 0) accel_fail("image file is not a whole number of images", argv[1]);
  const uint32_t n = static_cast<uint32_t>(bytes / imgBytes);
  std::vector<uint32_t> in(static_cast<std::size_t>(n) * W + 1, 0);
  if (n > 0 && std::fread(in.data(), 1, static_cast<std::size_t>(bytes), fin) != static_cast<std::size_t>(bytes))
    accel_fail("short read", argv[1]);
  std::fclose(fin);
  std::vector<uint32_t> rec(static_cast<std::size_t>(n) * (E + 3) + 1, 0);
  LbSim sim;
  if (!lb_accel_open_in(sim, nullptr, argc > 6 ? argv[6] : nullptr))
    accel_fail("cannot write the VCD (built without --trace, or cannot open)", argc > 6 ? argv[6] : "");
  lb_accel_images(sim, in.data(), W, E, n, maxCycles, rec.data());
  lb_close_sim(sim);
  FILE* fout = std::fopen(argv[2], "wb");
  if (!fout) accel_fail("cannot open results", argv[2]);
  const std::size_t outBytes = static_cast<std::size_t>(n) * (E + 3) * sizeof(uint32_t);
  if (outBytes > 0 && std::fwrite(rec.data(), 1, outBytes, fout) != outBytes) accel_fail("short write", argv[2]);
  if (std::fclose(fout) != 0) accel_fail("cannot close results", argv[2]);
  return 0;
}
#endif
