#include "ingest/hooks/statusline_input.h"

#include <gtest/gtest.h>

namespace ccgauge::ingest {
namespace {

TEST(StatusLineInput, ReadsTheDocumentedExample) {
  auto in = parse_statusline_input(
      R"({"cwd":"/w","session_id":"abc","transcript_path":"/t/abc.jsonl",
          "model":{"id":"claude-opus-4-6","display_name":"Opus"},
          "cost":{"total_cost_usd":0.01234,"total_duration_ms":45000},
          "context_window":{"total_input_tokens":15500,"context_window_size":200000,
                            "used_percentage":8},
          "rate_limits":{"five_hour":{"used_percentage":23.5,"resets_at":1738425600},
                         "seven_day":{"used_percentage":41.2,"resets_at":1738857600}}})");
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->session_id, "abc");
  EXPECT_EQ(in->transcript_path, "/t/abc.jsonl");
  EXPECT_EQ(in->model_id, "claude-opus-4-6");
  EXPECT_EQ(in->model_display_name, "Opus");
  EXPECT_DOUBLE_EQ(*in->session_cost_usd, 0.01234);
  EXPECT_EQ(*in->context_tokens, 15500);
  EXPECT_EQ(*in->context_window_size, 200000);
  ASSERT_TRUE(in->five_hour);
  EXPECT_DOUBLE_EQ(*in->five_hour->used_percent, 23.5);
  EXPECT_EQ(*in->five_hour->resets_at_epoch_s, 1738425600);
  EXPECT_EQ(*in->seven_day->resets_at_epoch_s, 1738857600);
}

TEST(StatusLineInput, ResetsAtInEveryForm) {
  auto iso = parse_statusline_input(
      R"({"rate_limits":{"five_hour":{"used_percentage":"12.5","resets_at":"2025-02-01T16:00:00Z"}}})");
  ASSERT_TRUE(iso);
  EXPECT_EQ(*iso->five_hour->resets_at_epoch_s, 1738425600);
  EXPECT_DOUBLE_EQ(*iso->five_hour->used_percent, 12.5);
  auto text = parse_statusline_input(R"({"rate_limits":{"seven_day":{"resets_at":"1738425600"}}})");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text->seven_day->resets_at_epoch_s, 1738425600);
  EXPECT_FALSE(text->seven_day->used_percent);
  auto millis = parse_statusline_input(R"({"rate_limits":{"five_hour":{"resets_at":1738425600000}}})");
  ASSERT_TRUE(millis);
  EXPECT_EQ(*millis->five_hour->resets_at_epoch_s, 1738425600);
}

TEST(StatusLineInput, NullsMissingFieldsAndWrongTypesAreAbsent) {
  auto in = parse_statusline_input(
      R"({"session_id":null,"model":"Opus","cost":{"total_cost_usd":null},
          "rate_limits":{"five_hour":null,"seven_day":{"used_percentage":"lots","resets_at":[]}},
          "context_window":{"total_input_tokens":-5}})");
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->session_id, "");
  EXPECT_EQ(in->model_display_name, "");
  EXPECT_FALSE(in->session_cost_usd);
  EXPECT_FALSE(in->five_hour);
  EXPECT_FALSE(in->seven_day);
  EXPECT_FALSE(in->context_tokens);
  auto empty = parse_statusline_input("{}");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->five_hour);
}

TEST(StatusLineInput, PercentIsClamped) {
  auto in = parse_statusline_input(R"({"rate_limits":{"five_hour":{"used_percentage":140}}})");
  ASSERT_TRUE(in);
  EXPECT_DOUBLE_EQ(*in->five_hour->used_percent, 100.0);
}

TEST(StatusLineInput, GarbageIsAnError) {
  EXPECT_FALSE(parse_statusline_input("not json"));
  EXPECT_FALSE(parse_statusline_input("[1,2]"));
  EXPECT_FALSE(parse_statusline_input(""));
  EXPECT_FALSE(parse_statusline_input(R"({"session_id":"abc")"));
}

}  // namespace
}  // namespace ccgauge::ingest
