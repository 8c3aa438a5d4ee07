/**
 * The one shape of a cycle-stepped unit model, shared by every unit (mac_pe, mac_array, requantizer,
 * xnor_popcount). It mirrors the harness protocol (docs/verify.md, "Timing and the harness protocol"):
 * every output port is a register, so `outputs()` — the outputs of the current cycle — is a function of
 * the state only, and `step(inputs)` applies the inputs of the current cycle at one rising clock edge.
 * The expected output sequence of a stimulus is `for t: out[t] = model.outputs(); model.step(in[t])`.
 * A model's state is private: `outputs()` and `register(name)` are its only views.
 */
export interface CycleModel<I, O> {
  outputs(): O;
  step(inputs: I): void;
}

/**
 * The internal registers a co-simulation compares with the RTL's VCD, read by their RTL names
 * (the value held in the current cycle; a 1-bit flag as 0/1).
 */
export interface RegisterProbe<N extends string, V> {
  register(name: N): V;
}
