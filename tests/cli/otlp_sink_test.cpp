#include "cli/otlp_sink.h"

#include <gtest/gtest.h>
#include <poll.h>

namespace ccgauge::cli {
namespace {

OtlpBatch events(std::size_t n) {
  OtlpBatch b;
  b.events.resize(n);
  return b;
}

bool readable(const OtlpSink& sink) {
  pollfd p{sink.fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(OtlpSink, RefusesWhatWouldPassTheBoundAndWakesTheIngestThread) {
  auto sink = OtlpSink::create(10);
  ASSERT_TRUE(sink);
  OtlpSink& s = **sink;
  EXPECT_FALSE(readable(s));
  EXPECT_TRUE(s.submit(events(0)));  // nothing to queue
  EXPECT_FALSE(readable(s));
  EXPECT_TRUE(s.submit(events(6)));
  EXPECT_TRUE(readable(s));
  EXPECT_TRUE(s.submit(events(4)));
  auto refused = s.submit(events(1));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);
  EXPECT_EQ(s.stats().pending_items, 10u);
  EXPECT_EQ(s.stats().refused_batches, 1u);

  std::vector<OtlpBatch> taken = s.take();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].events.size(), 6u);  // oldest first
  EXPECT_FALSE(readable(s));
  EXPECT_EQ(s.stats().pending_items, 0u);
  // A batch larger than the bound gets in when nothing waits, so it is never refused forever.
  EXPECT_TRUE(s.submit(events(25)));
  EXPECT_FALSE(s.submit(events(1)));
  EXPECT_EQ(s.take().size(), 1u);
  EXPECT_EQ(s.stats().accepted_items, 35u);
}

}  // namespace
}  // namespace ccgauge::cli
