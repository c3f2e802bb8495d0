#pragma once
#include <chrono>
#include <cstdio>
#include <cstdlib>
inline void ccg_tr(const char* what) {
  static auto first = std::chrono::steady_clock::now();
  static auto last = first;
  static bool on = std::getenv("CCG_TR") != nullptr;
  auto n = std::chrono::steady_clock::now();
  if (on) std::fprintf(stderr, "%s=%.0f ", what, std::chrono::duration<double, std::micro>(n - last).count());
  last = n;
}
