// Binary OTLP logs: ExportLogsServiceRequest bytes -> decode.h's types in one pass, without the
// generated classes. Logs are the flood (every Claude Code event is a log record), so their
// decoder reads the wire format directly (protobuf_wire.h): each string is copied once, into
// its final place, and nothing is built only to be converted and freed. The result is the one
// the generated classes and from_proto() give (tests/ingest/otlp_decode_test.cpp checks both on
// the same bytes, valid and corrupt).
//
// Field numbers: proto/opentelemetry/proto/{collector/logs,logs,common,resource}/v1/*.proto.
// As protobuf does: a field with an unexpected wire type is skipped as unknown, the last
// occurrence of a scalar field wins, occurrences of a message field merge (repeated fields
// inside append, scalars are overwritten), and a oneof takes the case of its last field.

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "ingest/otlp/decode.h"
#include "ingest/otlp/protobuf_wire.h"
#include "ingest/otlp/value_text.h"

namespace ccgauge::ingest::otlp {
namespace {

using wire::Field;
using wire::Reader;

// Message nesting past this is an error, as in protobuf's parser (whose limit is 100).
constexpr int kMaxMessageDepth = 100;

// An AnyValue while its fields are read. Occurrences of one AnyValue field merge (protobuf's
// rule), so a state can take several messages before it is turned into text.
struct AnyState {
  ValueKind kind = ValueKind::kEmpty;
  std::string_view text;   // kString, kBytes: as sent
  std::uint64_t bits = 0;  // kBool, kInt, kDouble: the wire value
  // kArray: the elements; kKvlist: key (kind kString), value, key, value, ...
  std::vector<ValueText> items;
};

class LogsDecoder {
 public:
  // Decodes an ExportLogsServiceRequest (== LogsData) into `out`.
  bool request(std::string_view bytes, DecodedLogs& out) {
    return message_fields(bytes, [&](std::uint32_t number, std::string_view field) {
      return number != 1 || resource_logs(field, out.resources.emplace_back());
    });
  }

  // Set when request() returned false.
  const Error& error() const { return error_; }
  bool too_deep() const { return too_deep_; }

 private:
  bool malformed() {
    error_ = {Errc::kInvalidInput, ""};
    return false;
  }

  bool nested_too_deep() {
    too_deep_ = true;
    error_ = {Errc::kInvalidInput,
              fmt::format("OTLP value nested deeper than {} levels", kMaxValueDepth)};
    return false;
  }

  // Reads a message of which only length-delimited fields matter (the others are skipped):
  // on_field(number, bytes) for each, until it returns false. False for bad input too.
  template <class OnField>
  bool message_fields(std::string_view bytes, OnField&& on_field) {
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      if (f.type == wire::kLengthDelimited && !on_field(f.number, f.bytes)) {
        return false;
      }
    }
    return in.ok() || malformed();
  }

  // ResourceLogs and ScopeLogs: one message (1: resource, scope) read by read_head, and a
  // repeated one (2: scope_logs, log_records) read by read_item for each.
  template <class ReadHead, class ReadItem>
  bool head_and_items(std::string_view bytes, ReadHead&& read_head, ReadItem&& read_item) {
    return message_fields(bytes, [&](std::uint32_t number, std::string_view field) {
      switch (number) {
        case 1:
          return read_head(field);
        case 2:
          return read_item(field);
        default:
          return true;
      }
    });
  }

  bool resource_logs(std::string_view bytes, ResourceLogs& out) {
    return head_and_items(
        bytes, [&](std::string_view field) { return resource(field, out.resource); },
        [&](std::string_view field) { return scope_logs(field, out.scopes.emplace_back()); });
  }

  // opentelemetry.proto.resource.v1.Resource: attributes (1), entity_refs (3, checked only).
  bool resource(std::string_view bytes, Attributes& out) {
    return message_fields(bytes, [&](std::uint32_t number, std::string_view field) {
      switch (number) {
        case 1:
          return key_value(field, out);
        case 3:
          return plain_message(field);  // EntityRef: bytes fields only
        default:
          return true;
      }
    });
  }

  bool scope_logs(std::string_view bytes, ScopeLogs& out) {
    // Count the records first: one allocation for all of them.
    std::size_t records = 0;
    {
      Reader count(bytes);
      Field f;
      while (count.next(f)) {
        records += f.number == 2 && f.type == wire::kLengthDelimited ? 1 : 0;
      }
    }
    out.records.reserve(out.records.size() + records);
    return head_and_items(
        bytes, [&](std::string_view field) { return scope(field, out.scope); },
        [&](std::string_view field) { return log_record(field, out.records.emplace_back()); });
  }

  // InstrumentationScope: name (1), version (2); attributes (3) are checked, not kept.
  bool scope(std::string_view bytes, Scope& out) {
    return message_fields(bytes, [&](std::uint32_t number, std::string_view field) {
      switch (number) {
        case 1:
          out.name = valid_utf8(field);
          return true;
        case 2:
          out.version = valid_utf8(field);
          return true;
        case 3:
          return checked_key_value(field, 2);
        default:
          return true;
      }
    });
  }

  bool log_record(std::string_view bytes, LogRecord& out) {
    std::size_t attributes = 0;
    std::string_view body;  // the body's occurrences, when there is one
    std::string merged_body;
    int bodies = 0;
    {
      // Count the attributes (one allocation for all) and find the body.
      Reader count(bytes);
      Field f;
      while (count.next(f)) {
        if (f.type == wire::kLengthDelimited && f.number == 6) {
          ++attributes;
        } else if (f.type == wire::kLengthDelimited && f.number == 5) {
          // Occurrences of a message field merge: their bytes concatenated are the merged
          // message.
          if (bodies++ == 0) {
            body = f.bytes;
          } else {
            if (bodies == 2) {
              merged_body.assign(body);
            }
            merged_body.append(f.bytes);
          }
        }
      }
      if (!count.ok()) {
        return malformed();
      }
    }
    out.attributes.reserve(attributes);
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      switch (f.number) {
        case 1:
          if (f.type == wire::kFixed64) {
            out.time_unix_nano = f.value;
          }
          break;
        case 11:
          if (f.type == wire::kFixed64) {
            out.observed_time_unix_nano = f.value;
          }
          break;
        case 2:
          if (f.type == wire::kVarint) {
            out.severity_number = static_cast<std::int32_t>(f.value);
          }
          break;
        case 3:
          if (f.type == wire::kLengthDelimited) {
            out.severity_text = valid_utf8(f.bytes);
          }
          break;
        case 6:
          if (f.type == wire::kLengthDelimited && !key_value(f.bytes, out.attributes)) {
            return false;
          }
          break;
        case 9:
          if (f.type == wire::kLengthDelimited) {
            out.trace_id = hex_encode(f.bytes);
          }
          break;
        case 10:
          if (f.type == wire::kLengthDelimited) {
            out.span_id = hex_encode(f.bytes);
          }
          break;
        case 12:
          if (f.type == wire::kLengthDelimited) {
            out.event_name = valid_utf8(f.bytes);
          }
          break;
        default:
          break;  // body (5) below; dropped_attributes_count (7), flags (8), unknown fields
      }
    }
    if (!in.ok()) {
      return malformed();
    }
    if (bodies > 0) {
      AnyState state;
      if (!any_value(bodies > 1 ? std::string_view(merged_body) : body, 0, state)) {
        return false;
      }
      ValueText value = finish(state);
      out.body_kind = value.kind;
      out.body = std::move(value.text);
    }
    return true;
  }

  // A KeyValue appended to `out` as (key, value text). Its value's occurrences merge.
  bool key_value(std::string_view bytes, Attributes& out) {
    std::string_view key;
    AnyState state;
    if (!key_value(bytes, 0, key, state)) {
      return false;
    }
    out.emplace_back(valid_utf8(key), finish(state).text);
    return true;
  }

  // KeyValue: key (1), value (2) into `state` at `depth`.
  bool key_value(std::string_view bytes, int depth, std::string_view& key, AnyState& state) {
    return message_fields(bytes, [&](std::uint32_t number, std::string_view field) {
      switch (number) {
        case 1:
          key = field;
          return true;
        case 2:
          return any_value(field, depth, state);
        default:
          return true;
      }
    });
  }

  // One AnyValue message into `state` (the value of an attribute at depth 0; elements of
  // arrays and lists one deeper).
  bool any_value(std::string_view bytes, int depth, AnyState& state) {
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      switch (f.number) {
        case 1:  // string_value
        case 7:  // bytes_value
          if (f.type == wire::kLengthDelimited) {
            set_case(state, f.number == 1 ? ValueKind::kString : ValueKind::kBytes);
            state.text = f.bytes;
          }
          break;
        case 2:  // bool_value
        case 3:  // int_value
          if (f.type == wire::kVarint) {
            set_case(state, f.number == 2 ? ValueKind::kBool : ValueKind::kInt);
            state.bits = f.value;
          }
          break;
        case 4:  // double_value
          if (f.type == wire::kFixed64) {
            set_case(state, ValueKind::kDouble);
            state.bits = f.value;
          }
          break;
        case 5:  // array_value
        case 6:  // kvlist_value
          if (f.type == wire::kLengthDelimited) {
            if (depth >= kMaxValueDepth) {
              return nested_too_deep();
            }
            // The same case again merges: the elements append.
            set_case(state, f.number == 5 ? ValueKind::kArray : ValueKind::kKvlist);
            if (!(f.number == 5 ? array(f.bytes, depth, state.items)
                                : kvlist(f.bytes, depth, state.items))) {
              return false;
            }
          }
          break;
        default:
          break;
      }
    }
    return in.ok() || malformed();
  }

  static void set_case(AnyState& state, ValueKind kind) {
    if (state.kind != kind) {
      state.kind = kind;
      state.items.clear();
    }
  }

  // ArrayValue: values (1), each one element.
  bool array(std::string_view bytes, int depth, std::vector<ValueText>& items) {
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      if (f.number == 1 && f.type == wire::kLengthDelimited) {
        AnyState element;
        if (!any_value(f.bytes, depth + 1, element)) {
          return false;
        }
        items.push_back(finish(element));
      }
    }
    return in.ok() || malformed();
  }

  // KeyValueList: values (1), each a KeyValue.
  bool kvlist(std::string_view bytes, int depth, std::vector<ValueText>& items) {
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      if (f.number == 1 && f.type == wire::kLengthDelimited) {
        std::string_view key;
        AnyState value;
        if (!key_value(f.bytes, depth + 1, key, value)) {
          return false;
        }
        items.push_back({ValueKind::kString, valid_utf8(key)});
        items.push_back(finish(value));
      }
    }
    return in.ok() || malformed();
  }

  // The text of a finished value (value_text.h).
  static ValueText finish(const AnyState& s) {
    switch (s.kind) {
      case ValueKind::kEmpty:
        return {};
      case ValueKind::kString:
        return {ValueKind::kString, valid_utf8(s.text)};
      case ValueKind::kBytes:
        return {ValueKind::kBytes, base64_encode(s.text)};
      case ValueKind::kBool:
        return {ValueKind::kBool, bool_text(s.bits != 0)};
      case ValueKind::kInt:
        return {ValueKind::kInt, int_text(static_cast<std::int64_t>(s.bits))};
      case ValueKind::kDouble: {
        double d = 0;
        static_assert(sizeof(d) == sizeof(s.bits));
        std::memcpy(&d, &s.bits, sizeof(d));
        return {ValueKind::kDouble, double_text(d)};
      }
      case ValueKind::kArray: {
        JsonWriter out(JsonWriter::Style::kCompact);
        out.begin_array();
        for (const ValueText& item : s.items) {
          append_json(out, item);
        }
        out.end_array();
        return {ValueKind::kArray, out.take()};
      }
      case ValueKind::kKvlist: {
        JsonWriter out(JsonWriter::Style::kCompact);
        out.begin_object();
        for (std::size_t i = 0; i + 1 < s.items.size(); i += 2) {
          out.key(s.items[i].text);
          append_json(out, s.items[i + 1]);
        }
        out.end_object();
        return {ValueKind::kKvlist, out.take()};
      }
    }
    return {};
  }

  // ---- messages that are checked but not kept (protobuf parses them, so their errors count)

  // A message whose fields are all scalars or bytes (EntityRef).
  bool plain_message(std::string_view bytes) {
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
    }
    return in.ok() || malformed();
  }

  // A KeyValue at message nesting `level`.
  bool checked_key_value(std::string_view bytes, int level) {
    if (level > kMaxMessageDepth) {
      return malformed();
    }
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      if (f.number == 2 && f.type == wire::kLengthDelimited &&
          !checked_any_value(f.bytes, level + 1)) {
        return false;
      }
    }
    return in.ok() || malformed();
  }

  bool checked_any_value(std::string_view bytes, int level) {
    if (level > kMaxMessageDepth) {
      return malformed();
    }
    Reader in(bytes);
    Field f;
    while (in.next(f)) {
      if ((f.number == 5 || f.number == 6) && f.type == wire::kLengthDelimited) {
        // ArrayValue / KeyValueList: field 1 holds AnyValue / KeyValue messages.
        Reader list(f.bytes);
        Field item;
        while (list.next(item)) {
          if (item.number != 1 || item.type != wire::kLengthDelimited) {
            continue;
          }
          if (!(f.number == 5 ? checked_any_value(item.bytes, level + 2)
                              : checked_key_value(item.bytes, level + 2))) {
            return false;
          }
        }
        if (!list.ok()) {
          return malformed();
        }
      }
    }
    return in.ok() || malformed();
  }

  Error error_;
  bool too_deep_ = false;
};

}  // namespace

Result<DecodedLogs> decode_logs_protobuf(std::string_view bytes) {
  DecodedLogs out;
  LogsDecoder decoder;
  if (!decoder.request(bytes, out)) {
    if (decoder.too_deep()) {
      return tl::unexpected(decoder.error());
    }
    return fail(Errc::kInvalidInput,
                fmt::format("OTLP logs request is not valid protobuf ({} bytes)", bytes.size()));
  }
  return out;
}

}  // namespace ccgauge::ingest::otlp
