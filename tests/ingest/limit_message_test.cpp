// Limit-hit messages in transcripts, and how their reset clock times resolve.

#include "ingest/transcripts/limit_message.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ccgauge::ingest {
namespace {

std::int64_t epoch(const char* iso) {
  return std::chrono::floor<std::chrono::seconds>(*parse_timestamp(iso))
      .time_since_epoch()
      .count();
}

TEST(LimitMessageTest, SessionLimitWithZoneResolvesToTheNextClockTime) {
  // 2026-03-02 20:00 UTC is 12:00 in Los Angeles (PST, UTC-8): 3pm is 23:00 UTC the same day.
  auto hit = parse_limit_message(
      R"x({"text":"You've hit your session limit \u00b7 resets 3pm (America/Los_Angeles)"})x",
      *parse_timestamp("2026-03-02T20:00:00Z"), TimeZone::utc());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->window, "five_hour");
  EXPECT_EQ(*hit->resets_at_epoch_s, epoch("2026-03-02T23:00:00Z"));
}

TEST(LimitMessageTest, ClockTimeAlreadyPassedTodayMeansTomorrow) {
  auto hit = parse_limit_message("You've hit your session limit · resets 3:30am (UTC)",
                                 *parse_timestamp("2026-03-02T20:00:00Z"), TimeZone::utc());
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->resets_at_epoch_s, epoch("2026-03-03T03:30:00Z"));
}

TEST(LimitMessageTest, WeeklyLimitWithDate) {
  auto hit = parse_limit_message("You've hit your weekly limit · resets Mar 5, 9am (Europe/Berlin)",
                                 *parse_timestamp("2026-03-02T20:00:00Z"), TimeZone::utc());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->window, "seven_day");
  EXPECT_EQ(*hit->resets_at_epoch_s, epoch("2026-03-05T08:00:00Z"));  // CET is UTC+1
  // Around new year the date belongs to the next year.
  auto jan = parse_limit_message("weekly limit · resets Jan 2 at 10:00 (UTC)",
                                 *parse_timestamp("2026-12-30T10:00:00Z"), TimeZone::utc());
  ASSERT_TRUE(jan);
  EXPECT_EQ(*jan->resets_at_epoch_s, epoch("2027-01-02T10:00:00Z"));
}

TEST(LimitMessageTest, ModelLimitsAndTheOldForm) {
  auto opus = parse_limit_message("You've hit your Opus limit · resets 5pm",
                                  *parse_timestamp("2026-03-02T10:00:00Z"), TimeZone::utc());
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->window, "seven_day_opus");
  EXPECT_EQ(*opus->resets_at_epoch_s, epoch("2026-03-02T17:00:00Z"));  // the fallback zone
  auto old = parse_limit_message("Claude AI usage limit reached|1772474400",
                                 *parse_timestamp("2026-03-02T10:00:00Z"), TimeZone::utc());
  ASSERT_TRUE(old);
  EXPECT_EQ(old->window, "five_hour");
  EXPECT_EQ(*old->resets_at_epoch_s, 1772474400);
}

TEST(LimitMessageTest, UnreadableResetsKeepTheHitWithoutATime) {
  Instant t = *parse_timestamp("2026-03-02T10:00:00Z");
  auto hit = parse_limit_message("You've hit your session limit · resets soon", t,
                                 TimeZone::utc());
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->resets_at_epoch_s);
  for (const char* bad : {"resets 13pm", "resets 25:00", "resets 3:99pm", "resets Foo 3, 3pm"}) {
    auto h = parse_limit_message(std::string("session limit · ") + bad, t, TimeZone::utc());
    ASSERT_TRUE(h) << bad;
    EXPECT_FALSE(h->resets_at_epoch_s) << bad;
  }
  // Unknown zone names fall back to the given zone.
  auto z = parse_limit_message("session limit · resets 3pm (Mars/Olympus)", t, TimeZone::utc());
  EXPECT_EQ(*z->resets_at_epoch_s, epoch("2026-03-02T15:00:00Z"));
  EXPECT_FALSE(parse_limit_message("an ordinary API error", t, TimeZone::utc()));
}

}  // namespace
}  // namespace ccgauge::ingest
