#pragma once
// Internal to ingest/otlp: a reader of the protobuf wire format
// (https://protobuf.dev/programming-guides/encoding/), for decoders written by hand against the
// field numbers of proto/ (decode_protobuf_logs.cpp).
//
// It accepts exactly what protobuf's own parser accepts, field by field: varints of up to 10
// bytes, lengths that fit in the bytes left and in 31 bits, wire types 0, 1, 2, 5 and groups
// (3 ... 4, skipped whole), field numbers from 1. Anything else (a truncated field, wire type 6
// or 7, field 0, an end-group without its start) makes next() return false with ok() false.
// Nothing is copied: length-delimited fields are views into the input, which must outlive them.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ccgauge::ingest::otlp::wire {

enum WireType : std::uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

// Groups nested deeper than this inside an unknown field are an error (protobuf's parser stops
// at 100 levels of nesting too).
inline constexpr int kMaxGroupDepth = 64;

struct Field {
  std::uint32_t number = 0;
  WireType type = kVarint;
  // kVarint: the value; kFixed64 / kFixed32: the bits, little-endian decoded.
  std::uint64_t value = 0;
  std::string_view bytes;  // kLengthDelimited
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // The next field into `f`: false at the end of the input (ok() true) or when the input is
  // malformed (ok() false). Groups are skipped: their fields are never returned.
  [[gnu::always_inline]] bool next(Field& f) {
    for (;;) {
      if (at_ == end_) {
        return false;
      }
      std::uint64_t tag = static_cast<std::uint8_t>(*at_);
      if (tag < 0x80 && tag >= 8) {  // the common one-byte tag (fields 1 to 15)
        ++at_;
      } else if (!read_tag(tag)) {
        return fail();
      }
      if (!read_field(tag, f)) {
        return fail();
      }
      if (f.type != kStartGroup) {
        return true;
      }
      if (!skip_group(f.number, 1)) {
        return fail();
      }
    }
  }

  bool ok() const { return ok_; }

 private:
  [[gnu::noinline]] bool fail() {
    ok_ = false;
    at_ = end_;
    return false;
  }

  bool read_varint(std::uint64_t& out) {
    if (at_ != end_ && static_cast<std::uint8_t>(*at_) < 0x80) {
      out = static_cast<std::uint8_t>(*at_++);
      return true;
    }
    // Up to 10 bytes; bits past 64 are dropped, as protobuf does.
    std::uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (at_ == end_) {
        return false;
      }
      auto byte = static_cast<std::uint8_t>(*at_++);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << (shift < 64 ? shift : 63);
      if ((byte & 0x80) == 0) {
        out = value;
        return true;
      }
    }
    return false;
  }

  // (Not inlined: rare, and it keeps next() small enough to inline.)
  // A tag is a 32-bit varint: at most 5 bytes, bits past 32 dropped (as protobuf's parser
  // does). Field number 0 does not exist.
  [[gnu::noinline]] bool read_tag(std::uint64_t& tag) {
    const char* start = at_;
    if (!read_varint(tag) || at_ - start > 5) {
      return false;
    }
    tag &= 0xffffffffu;
    return (tag >> 3) != 0;
  }

  bool read_field(std::uint64_t tag, Field& f) {
    f.number = static_cast<std::uint32_t>(tag >> 3);
    f.type = static_cast<WireType>(tag & 7);
    switch (f.type) {
      case kVarint:
        return read_varint(f.value);
      case kFixed64:
        return read_fixed(f.value, 8);
      case kFixed32:
        return read_fixed(f.value, 4);
      case kLengthDelimited: {
        std::uint64_t length = 0;
        const char* start = at_;
        // A length is read as a 32-bit size: at most 5 bytes, below 2^31.
        if (!read_varint(length) || at_ - start > 5 || length > 0x7fffffffu ||
            length > static_cast<std::uint64_t>(end_ - at_)) {
          return false;
        }
        f.bytes = std::string_view(at_, static_cast<std::size_t>(length));
        at_ += length;
        return true;
      }
      case kStartGroup:
        return true;
      case kEndGroup:
      default:
        return false;  // an end-group outside a group, or wire type 6 or 7
    }
  }

  bool read_fixed(std::uint64_t& out, int size) {
    if (end_ - at_ < size) {
      return false;
    }
    unsigned char b[8] = {};
    std::memcpy(b, at_, static_cast<std::size_t>(size));
    out = 0;
    for (int i = size - 1; i >= 0; --i) {
      out = out << 8 | b[i];
    }
    at_ += size;
    return true;
  }

  // Skips the fields of a group up to its end-group tag (field `number`).
  [[gnu::noinline]] bool skip_group(std::uint32_t number, int depth) {
    if (depth > kMaxGroupDepth) {
      return false;
    }
    for (;;) {
      std::uint64_t tag = 0;
      if (at_ == end_ || !read_tag(tag)) {
        return false;
      }
      auto type = static_cast<WireType>(tag & 7);
      auto inner = static_cast<std::uint32_t>(tag >> 3);
      if (type == kEndGroup) {
        return inner == number;
      }
      Field ignored;
      if (!read_field(tag, ignored)) {
        return false;
      }
      if (type == kStartGroup && !skip_group(inner, depth + 1)) {
        return false;
      }
    }
  }

  const char* at_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace ccgauge::ingest::otlp::wire
