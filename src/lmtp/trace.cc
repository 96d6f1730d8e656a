// The trace headers Dovecot 2.3's lmtp prepends (lmtp_local_add_headers and
// smtp_server_transaction_write_trace_record), and its transaction ids.
#include <cstdio>
#include <ctime>
#include <random>

#include "lmtp/lmtp.h"

namespace loft::lmtp {
namespace {

constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Fields come from the network or the command line: drop anything that could
// end the header line or fold into a new one.
std::string clean(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) r.push_back(c);
  }
  return r;
}

}  // namespace

std::string rfc5322_date(std::chrono::system_clock::time_point time, std::optional<int> utc_offset_minutes) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  long offset = 0;  // minutes east of UTC
  if (utc_offset_minutes) {
    offset = *utc_offset_minutes;
    std::time_t shifted = t + static_cast<std::time_t>(offset) * 60;
    gmtime_r(&shifted, &tm);
  } else {
    localtime_r(&t, &tm);
    offset = tm.tm_gmtoff / 60;
  }
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", kWeekdays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                sign, offset / 60, offset % 60);
  return buf;
}

std::string trace_headers(const TraceInfo& info) {
  const std::string sender = clean(info.sender);
  const std::string recipient = clean(info.recipient);
  std::string h;
  h.reserve(256);
  h += "Return-Path: <" + sender + ">\r\n";
  if (!recipient.empty()) h += "Delivered-To: " + recipient + "\r\n";
  if (!info.add_received) return h;

  std::string helo = clean(info.client_helo);
  h += "Received: from " + (helo.empty() ? std::string("unknown") : helo);
  std::string ip = clean(info.client_ip);
  if (!ip.empty()) h += " ([" + ip + "])";
  h += "\r\n\tby " + clean(info.hostname) + " with LMTP";
  h += "\r\n\tid " + clean(info.session_id);
  h += "\r\n\t(envelope-from <" + sender + ">)";
  if (!recipient.empty()) h += "\r\n\tfor <" + recipient + ">";
  h += "; " + rfc5322_date(info.time, info.utc_offset_minutes) + "\r\n";
  return h;
}

std::string new_session_id() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), static_cast<unsigned>(std::time(nullptr))};
    return std::mt19937_64(seq);
  }();
  unsigned char raw[16];
  for (size_t i = 0; i < sizeof raw; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8; ++j) raw[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  // base64 of 16 octets is 22 characters plus "==", which Dovecot drops too.
  std::string id;
  id.reserve(22);
  for (size_t i = 0; i < sizeof raw; i += 3) {
    uint32_t n = static_cast<uint32_t>(raw[i]) << 16;
    if (i + 1 < sizeof raw) n |= static_cast<uint32_t>(raw[i + 1]) << 8;
    if (i + 2 < sizeof raw) n |= raw[i + 2];
    size_t chars = i + 2 < sizeof raw ? 4 : (i + 1 < sizeof raw ? 3 : 2);
    for (size_t k = 0; k < chars; ++k) id.push_back(kAlphabet[(n >> (18 - 6 * k)) & 63]);
  }
  return id;
}

}  // namespace loft::lmtp
