#include <gtest/gtest.h>

#include <set>

#include "lmtp/lmtp.h"

namespace loft::lmtp {
namespace {

// 2026-11-26 15:40:24 UTC
const auto kTime = std::chrono::system_clock::from_time_t(1795707624);

TraceInfo sample() {
  TraceInfo t;
  t.sender = "sender@example.org";
  t.client_helo = "client.example";
  t.client_ip = "127.0.0.1";
  t.hostname = "vm";
  t.session_id = "gLXzK+dSCGukIgAAg+zDdQ";
  t.time = kTime;
  t.utc_offset_minutes = 0;
  return t;
}

// Both literals are what Dovecot 2.3.19 lmtp wrote for the same transactions.
TEST(TraceHeaders, SeveralRecipientsAsDovecot) {
  EXPECT_EQ(trace_headers(sample()),
            "Return-Path: <sender@example.org>\r\n"
            "Received: from client.example ([127.0.0.1])\r\n"
            "\tby vm with LMTP\r\n"
            "\tid gLXzK+dSCGukIgAAg+zDdQ\r\n"
            "\t(envelope-from <sender@example.org>); Thu, 26 Nov 2026 15:40:24 +0000\r\n");
}

TEST(TraceHeaders, OneRecipientAndNullSenderAsDovecot) {
  TraceInfo t = sample();
  t.sender = "";
  t.recipient = "Alice+Foo@X.example";
  t.session_id = "gLXzK+dSCGukIgAAg+zDdQ:T2";
  EXPECT_EQ(trace_headers(t),
            "Return-Path: <>\r\n"
            "Delivered-To: Alice+Foo@X.example\r\n"
            "Received: from client.example ([127.0.0.1])\r\n"
            "\tby vm with LMTP\r\n"
            "\tid gLXzK+dSCGukIgAAg+zDdQ:T2\r\n"
            "\t(envelope-from <>)\r\n"
            "\tfor <Alice+Foo@X.example>; Thu, 26 Nov 2026 15:40:24 +0000\r\n");
}

TEST(TraceHeaders, NoIpNoHeloNoReceived) {
  TraceInfo t = sample();
  t.client_ip = "";
  t.client_helo = "";
  EXPECT_NE(trace_headers(t).find("Received: from unknown\r\n\tby vm"), std::string::npos);
  t.add_received = false;
  t.recipient = "bob@x";
  EXPECT_EQ(trace_headers(t), "Return-Path: <sender@example.org>\r\nDelivered-To: bob@x\r\n");
}

TEST(TraceHeaders, ControlCharactersCannotStartHeaders) {
  TraceInfo t = sample();
  t.sender = "a@b>\r\nX-Evil: 1";
  t.client_helo = "h\nX-Evil: 2";
  std::string h = trace_headers(t);
  EXPECT_EQ(h.find("\nX-Evil"), std::string::npos) << h;
  EXPECT_NE(h.find("Return-Path: <a@b>X-Evil: 1>\r\n"), std::string::npos) << h;
}

TEST(Rfc5322Date, ZonesAndPadding) {
  // 2021-03-05 01:02:03 UTC
  auto t = std::chrono::system_clock::from_time_t(1614906123);
  EXPECT_EQ(rfc5322_date(t, 0), "Fri, 05 Mar 2021 01:02:03 +0000");
  EXPECT_EQ(rfc5322_date(t, 90), "Fri, 05 Mar 2021 02:32:03 +0130");
  EXPECT_EQ(rfc5322_date(t, -480), "Thu, 04 Mar 2021 17:02:03 -0800");
  // The local zone form must at least be well-formed.
  std::string local = rfc5322_date(t, std::nullopt);
  EXPECT_EQ(local.size(), std::string("Fri, 05 Mar 2021 01:02:03 +0000").size()) << local;
}

TEST(SessionId, ShapeAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_session_id();
    ASSERT_EQ(id.size(), 22u);
    for (char c : id) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace loft::lmtp
