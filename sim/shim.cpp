// lowbit in-process simulator: the harness core (sim/harness.cpp, without its main) behind a C ABI, built
// as a shared library (`-fPIC`, linked with `-shared`) and called through koffi by src/rtl/inproc.ts.
// Same protocol and timing as the process harness; one call runs a whole batch of cycles.
#define LOWBIT_NO_MAIN 1
#include "harness.cpp"

extern "C" {
/** Words per input / output vector. */
int lb_in_words() { return LB_IN_WORDS; }
int lb_out_words() { return LB_OUT_WORDS; }

/** A new simulation after its 2 reset cycles; `vcd` empty for none. Null on failure. */
void* lb_open(const char* vcd) {
  auto* s = new LbSim();
  if (!lb_open_sim(*s, vcd)) {
    delete s;
    return nullptr;
  }
  return s;
}

/** Runs `cycles` cycles (inputs LB_IN_WORDS words each, outputs LB_OUT_WORDS words each). */
void lb_run(void* h, const uint32_t* in, uint32_t* out, double cycles) {
  lb_run_cycles(*static_cast<LbSim*>(h), in, out, static_cast<std::size_t>(cycles));
}

/** Ends the simulation (closes the VCD) and frees it. */
void lb_close(void* h) {
  auto* s = static_cast<LbSim*>(h);
  lb_close_sim(*s);
  delete s;
}
}
