#pragma once
// An open-addressing multimap from 64-bit key hashes (already well mixed, non-negative) to 64-bit
// values, without an allocation per entry. The request writer uses it for the ids of a bulk
// load and for dedupe within a batch. Internal to the ledger module.

#include <cstdint>
#include <vector>

namespace ccgauge::ledger {

class HashIndex {
 public:
  void clear() {
    slots_.assign(slots_.size(), Slot{});
    size_ = 0;
  }

  void insert(std::int64_t hash, std::int64_t value) {
    if ((size_ + 1) * 2 > slots_.size()) {
      grow();
    }
    place(hash, value);
    ++size_;
  }

  // Starts loading the slot where find(hash) begins, so that a find a few calls later does not
  // wait for memory (a bulk load's index outgrows the caches).
  void prefetch(std::int64_t hash) const {
    if (!slots_.empty()) {
      __builtin_prefetch(&slots_[static_cast<std::size_t>(hash) & (slots_.size() - 1)]);
    }
  }

  // Calls fn(value) for every entry with this hash until fn returns false.
  template <class Fn>
  void find(std::int64_t hash, Fn&& fn) const {
    if (slots_.empty()) {
      return;
    }
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == kEmpty) {
        return;
      }
      if (s.hash == hash && !fn(s.value)) {
        return;
      }
    }
  }

 private:
  static constexpr std::int64_t kEmpty = -1;
  struct Slot {
    std::int64_t hash = kEmpty;
    std::int64_t value = 0;
  };

  void place(std::int64_t hash, std::int64_t value) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash) & mask;
    while (slots_[i].hash != kEmpty) {
      i = (i + 1) & mask;
    }
    slots_[i] = Slot{hash, value};
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.hash != kEmpty) {
        place(s.hash, s.value);
      }
    }
  }

  std::vector<Slot> slots_;  // size is a power of two
  std::size_t size_ = 0;
};

}  // namespace ccgauge::ledger
