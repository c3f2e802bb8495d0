#pragma once
// Byte sizes written by people: "20MiB", "1GiB", "500KB", "1.5G", "4096".

#include <cstdint>
#include <optional>
#include <string_view>

namespace ccgauge {

// K/M/G/T with or without "i" and "B" are powers of 1024 (as `du`); a bare number is bytes.
// nullopt for anything else.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace ccgauge
