// Port copy helpers shared by lowbit's harnesses (sim/harness.cpp, sim/bind_harness.cpp): a port value is
// ceil(width/32) little-endian uint32 words, least significant first; the Verilated member type follows the
// port width (CData/SData/IData for 1..32 bits, QData for 33..64, VlWide<N> above).
#pragma once
#include <cstddef>
#include <cstdint>

#include "verilated.h"

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
