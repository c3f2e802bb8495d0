#pragma once
// Records cross from the parsing threads to the committing thread packed into one byte buffer
// per chunk. Building a UsageRecord allocates several strings; had they crossed threads, every
// free would land in another thread's malloc arena and the two sides would contend on its lock
// (measured: a single arena makes a cold catch-up 50% slower). Packed, each side allocates and
// frees only its own memory.

#include <string>

#include "core/types.h"

namespace ccgauge::ingest {

// Appends `record` to `out`.
void pack_record(const UsageRecord& record, std::string& out);

// Reads the record at `pos` into `record` (reusing its strings' capacity) and advances `pos`.
// `pos` must point at a record that pack_record wrote.
void unpack_record(const char*& pos, UsageRecord& record);

}  // namespace ccgauge::ingest
