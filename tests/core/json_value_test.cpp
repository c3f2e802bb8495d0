#include "core/json_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace ccgauge {
namespace {

JsonValue parse_ok(std::string_view text) {
  Result<JsonValue> value = JsonValue::parse(text);
  EXPECT_TRUE(value) << text << " -> " << value.error().message;
  return value ? *value : JsonValue();
}

std::string parse_error(std::string_view text) {
  Result<JsonValue> value = JsonValue::parse(text);
  EXPECT_FALSE(value) << text << " parsed";
  return value ? std::string() : value.error().message;
}

TEST(JsonValue, ParsesEveryType) {
  JsonValue v =
      parse_ok(R"( {"n":null,"t":true,"f":false,"i":-42,"d":2.5,"s":"x","a":[1],"o":{}} )");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.find("n")->is_null());
  EXPECT_TRUE(v.find("t")->as_bool());
  EXPECT_FALSE(v.find("f")->as_bool());
  EXPECT_EQ(v.find("i")->to_int64(), -42);
  EXPECT_EQ(v.find("d")->to_double(), 2.5);
  EXPECT_EQ(v.find("d")->to_int64(), std::nullopt);
  EXPECT_EQ(v.find("s")->as_string(), "x");
  EXPECT_EQ(v.find("a")->items().size(), 1u);
  EXPECT_TRUE(v.find("o")->members().empty());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_EQ(parse_ok(" \"top\" ").as_string(), "top");
}

TEST(JsonValue, KeepsObjectKeyOrder) {
  JsonValue v = parse_ok(R"({"zeta":1,"alpha":2,"mid":{"b":1,"a":2}})");
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "zeta");
  EXPECT_EQ(v.members()[1].first, "alpha");
  EXPECT_EQ(v.members()[2].first, "mid");
  EXPECT_EQ(v.find("mid")->members()[0].first, "b");
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), R"({"zeta":1,"alpha":2,"mid":{"b":1,"a":2}})");
}

// Text written as JSON.stringify(value, null, 2) + "\n" writes it comes back byte for byte.
TEST(JsonValue, PrettyTextRoundTripsByteForByte) {
  const std::string text = R"({
  "model": "opus",
  "empty_object": {},
  "empty_array": [],
  "numbers": [
    0,
    -0,
    12345678901234,
    123456789012345678901234567890,
    1.50,
    1E5,
    -2.5e-7,
    0.1
  ],
  "nested": [
    [
      [
        "deep",
        null,
        true,
        false
      ]
    ],
    {
      "a": {
        "b": []
      }
    }
  ],
  "text": "caf\u00e9 \"quoted\" back\\slash\nline\ttab \u0001 ok/"
}
)";
  JsonValue v = parse_ok(text);
  EXPECT_EQ(v.dump(), text);
  EXPECT_EQ(parse_ok(v.dump()), v);
  EXPECT_EQ(parse_ok(v.dump(JsonValue::Style::kCompact)), v);
}

TEST(JsonValue, NumbersKeepTheirText) {
  JsonValue v = parse_ok(
      "[12345678901234, 9223372036854775807, 9223372036854775808, -0, 1.50, "
      "1E5, 1e400, 5e-324, 1.7976931348623157e308]");
  const JsonValue::Array& n = v.items();
  EXPECT_EQ(n[0].number_text(), "12345678901234");
  EXPECT_EQ(n[0].to_int64(), 12345678901234);
  EXPECT_EQ(n[1].to_int64(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(n[2].number_text(), "9223372036854775808");
  EXPECT_EQ(n[2].to_int64(), std::nullopt);  // Does not fit, and is not rounded either.
  EXPECT_EQ(n[3].number_text(), "-0");
  EXPECT_EQ(n[4].number_text(), "1.50");
  EXPECT_EQ(n[5].number_text(), "1E5");
  EXPECT_EQ(n[5].to_int64(), std::nullopt);
  EXPECT_EQ(n[5].to_double(), 1e5);
  EXPECT_EQ(n[6].number_text(), "1e400");
  EXPECT_EQ(n[6].to_double(), std::nullopt);
  EXPECT_EQ(n[7].to_double(), 5e-324);
  EXPECT_EQ(n[8].to_double(), std::numeric_limits<double>::max());
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact),
            "[12345678901234,9223372036854775807,9223372036854775808,-0,1.50,1E5,1e400,5e-324,"
            "1.7976931348623157e308]");
}

TEST(JsonValue, NumbersBuiltFromValues) {
  EXPECT_EQ(JsonValue(12345678901234LL).number_text(), "12345678901234");
  EXPECT_EQ(JsonValue(std::numeric_limits<std::uint64_t>::max()).number_text(),
            "18446744073709551615");
  EXPECT_EQ(JsonValue(-7).to_int64(), -7);
  EXPECT_EQ(JsonValue(0.1).number_text(), "0.1");
  EXPECT_EQ(JsonValue(1e21).dump(JsonValue::Style::kCompact), "1e+21");
  EXPECT_EQ(JsonValue(-0.0).number_text(), "0");
  EXPECT_TRUE(JsonValue(std::nan("")).is_null());
  EXPECT_TRUE(JsonValue(std::numeric_limits<double>::infinity()).is_null());
  for (double d : {0.1, 1.0 / 3, 123456.789e300, 5e-324, -2.2250738585072014e-308}) {
    JsonValue back = parse_ok(JsonValue(d).dump(JsonValue::Style::kCompact));
    EXPECT_EQ(back.to_double(), d);
  }
  EXPECT_TRUE(JsonValue::number_from_text("1.0e+3"));
  EXPECT_FALSE(JsonValue::number_from_text("01"));
  EXPECT_FALSE(JsonValue::number_from_text("1."));
  EXPECT_FALSE(JsonValue::number_from_text("+1"));
  EXPECT_FALSE(JsonValue::number_from_text(""));
}

TEST(JsonValue, UnicodeEscapesDecodeAndRoundTrip) {
  const std::string text = R"(["\u00e9\u20AC\ud83d\ude00","\/\b\f\n\r\t\"\\","\u0000\u001f\u007f",)"
                           R"("raw é € 😀","\u2028"])";
  JsonValue v = parse_ok(text);
  const JsonValue::Array& s = v.items();
  EXPECT_EQ(s[0].as_string(), "é€😀");
  EXPECT_EQ(s[1].as_string(), "/\b\f\n\r\t\"\\");
  EXPECT_EQ(s[2].as_string(), std::string("\0\x1f\x7f", 3));
  EXPECT_EQ(s[3].as_string(), "raw é € 😀");
  EXPECT_EQ(s[4].as_string(), "\xE2\x80\xA8");
  // Parsed strings keep their escapes...
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), text);
  EXPECT_EQ(parse_ok(v.dump()), v);
  // ...and the same values built anew are written as JSON.stringify writes them.
  JsonValue rebuilt = JsonValue::array();
  for (const JsonValue& item : s) {
    rebuilt.items().push_back(JsonValue(item.as_string()));
  }
  EXPECT_EQ(rebuilt, v);  // Strings compare by value, not by escapes.
  std::string expected = R"(["é€😀","/\b\f\n\r\t\"\\","\u0000\u001f)";
  expected += "\x7f";
  expected += R"(","raw é € 😀",")";
  expected += "\xE2\x80\xA8\"]";
  EXPECT_EQ(rebuilt.dump(JsonValue::Style::kCompact), expected);
  EXPECT_EQ(parse_ok(rebuilt.dump()), v);
}

TEST(JsonValue, LoneSurrogatesSurvive) {
  const std::string text = R"(["\ud800","\udc00x","\ud83dA","a\ud83d\ud83d\ude00"])";
  JsonValue v = parse_ok(text);
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), text);
  EXPECT_EQ(parse_ok(v.dump()), v);
  EXPECT_EQ(v.items()[0].as_string(), "\xED\xA0\x80");
  JsonValue rebuilt(v.items()[3].as_string());
  EXPECT_EQ(rebuilt.dump(JsonValue::Style::kCompact), R"("a\ud83d😀")");
  EXPECT_EQ(parse_ok(rebuilt.dump()), v.items()[3]);
}

TEST(JsonValue, BytesThatAreNotUtf8AreWrittenAsReplacement) {
  JsonValue v(
      std::string("a\xFF"
                  "b"));
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact),
            "\"a\xEF\xBF\xBD"
            "b\"");
}

TEST(JsonValue, PrettyLayoutMatchesJsonStringify) {
  JsonValue v = parse_ok(R"({"a":[1,{"b":[]}],"c":{}})");
  EXPECT_EQ(v.dump(),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n}\n");
  EXPECT_EQ(JsonValue::object().dump(), "{}\n");
  EXPECT_EQ(JsonValue("x").dump(), "\"x\"\n");
}

TEST(JsonValue, ErrorsNameLineAndColumn) {
  EXPECT_EQ(parse_error("{\n  \"a\": 1,\n}"), "line 3, column 1: trailing comma before '}'");
  EXPECT_EQ(parse_error("[1,2,]"), "line 1, column 6: trailing comma before ']'");
  EXPECT_EQ(parse_error("{\n  \"a\": [1, 2"),
            "line 2, column 13: unexpected end of input, expected ',' or ']'");
  EXPECT_EQ(parse_error("{\"a\" 1}"),
            "line 1, column 6: unexpected '1', expected ':' after the "
            "member name");
  EXPECT_EQ(parse_error("{a:1}"),
            "line 1, column 2: unexpected 'a', expected a member name in double quotes");
  EXPECT_EQ(parse_error("{} x"), "line 1, column 4: unexpected text after the JSON value");
  EXPECT_EQ(parse_error(""), "line 1, column 1: unexpected end of input, expected a value");
  EXPECT_EQ(parse_error("  \n "), "line 2, column 2: unexpected end of input, expected a value");
  // Columns count characters: "é" is two bytes but one column.
  EXPECT_EQ(parse_error("{\"é\": tru}"),
            "line 1, column 7: invalid literal (expected true, false or null)");
  EXPECT_EQ(parse_error("\"abc"), "line 1, column 5: unterminated string");
  EXPECT_EQ(parse_error("\"a\\x\""), "line 1, column 3: invalid escape in string");
  EXPECT_EQ(parse_error("\"\\u12G4\""),
            "line 1, column 2: invalid \\u escape: expected four "
            "hex digits");
  EXPECT_EQ(parse_error("\"a\tb\""),
            "line 1, column 3: control character in a string (it must be escaped)");
  EXPECT_EQ(parse_error("\"a\xC3(\""), "line 1, column 3: invalid UTF-8 in a string");
  EXPECT_EQ(parse_error("\"\xED\xA0\x80\""), "line 1, column 2: invalid UTF-8 in a string");
  EXPECT_EQ(parse_error("[01]"),
            "line 1, column 2: invalid number: a leading zero must stand "
            "alone");
  EXPECT_EQ(parse_error("[1.]"), "line 1, column 2: invalid number: expected a digit after '.'");
  EXPECT_EQ(parse_error("[-]"), "line 1, column 2: invalid number: expected a digit");
  EXPECT_EQ(parse_error("[1e]"),
            "line 1, column 2: invalid number: expected a digit in the "
            "exponent");
  EXPECT_EQ(parse_error("// comment\n{}"), "line 1, column 1: unexpected '/', expected a value");
  Result<JsonValue> bad = JsonValue::parse("[,]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidInput);
}

TEST(JsonValue, DepthIsLimited) {
  auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  JsonValue deepest = parse_ok(nested(kMaxJsonDepth));
  EXPECT_EQ(parse_ok(deepest.dump()), deepest);
  EXPECT_EQ(parse_error(nested(kMaxJsonDepth + 1)),
            "line 1, column 513: nesting deeper than 512 levels");
  std::string objects;
  for (int i = 0; i < kMaxJsonDepth + 1; ++i) {
    objects += "{\"a\":";
  }
  EXPECT_NE(parse_error(objects).find("nesting deeper than 512 levels"), std::string::npos);
  // Far past the limit: an error, not a stack overflow.
  EXPECT_NE(parse_error(std::string(1'000'000, '[')).find("nesting"), std::string::npos);
}

TEST(JsonValue, ObjectEditsKeepPositions) {
  JsonValue v = parse_ok(R"({"a":1,"b":2,"c":3})");
  v.set("b", "two");
  v.set("d", JsonValue::array());
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), R"({"a":1,"b":"two","c":3,"d":[]})");
  EXPECT_TRUE(v.erase("a"));
  EXPECT_FALSE(v.erase("a"));
  v.find("d")->items().push_back(true);
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), R"({"b":"two","c":3,"d":[true]})");
}

TEST(JsonValue, DuplicateKeysAreKeptAndTheLastOneCounts) {
  JsonValue v = parse_ok(R"({"k":1,"x":0,"k":2})");
  EXPECT_EQ(v.find("k")->to_int64(), 2);
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), R"({"k":1,"x":0,"k":2})");
  v.set("k", 3);
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), R"({"x":0,"k":3})");
  v = parse_ok(R"({"k":1,"k":2,"y":0})");
  EXPECT_TRUE(v.erase("k"));
  EXPECT_EQ(v.dump(JsonValue::Style::kCompact), R"({"y":0})");
}

TEST(JsonValue, EqualityIsDeepAndOrdered) {
  EXPECT_EQ(parse_ok(R"({"a":[1,{"b":null}]})"), parse_ok(R"( { "a" : [ 1 , { "b" : null } ] } )"));
  EXPECT_NE(parse_ok(R"({"a":1,"b":2})"), parse_ok(R"({"b":2,"a":1})"));
  EXPECT_NE(parse_ok("1.0"), parse_ok("1"));
  EXPECT_NE(parse_ok("\"1\""), parse_ok("1"));
  EXPECT_NE(parse_ok("[1]"), parse_ok("[1,1]"));
}

}  // namespace
}  // namespace ccgauge
