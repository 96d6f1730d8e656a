#include "lmtp_client.h"

#include <cstdlib>

#include "report.h"

namespace loft::bench {

Task<SmtpReply> ReadSmtpReply(Conn& conn, TimePoint deadline) {
  SmtpReply r;
  while (true) {
    std::string line = co_await conn.ReadLine(deadline, 1 << 16);
    if (line.size() < 3) throw IoError("malformed LMTP reply: " + Printable(line));
    r.code = std::atoi(line.substr(0, 3).c_str());
    r.text = line;
    if (line.size() == 3 || line[3] == ' ') break;
    if (line[3] != '-') throw IoError("malformed LMTP reply: " + Printable(line));
  }
  co_return r;
}

Task<void> LmtpOpen(Conn& conn, const Options& o, const std::string& host, int port) {
  TimePoint deadline = After(o.timeout);
  co_await conn.Connect(host, port, deadline);
  if (o.tls) co_await conn.StartTls(deadline);
  SmtpReply g = co_await ReadSmtpReply(conn, deadline);
  if (g.code != 220) throw IoError("LMTP greeting: " + Printable(g.text));
  co_await conn.WriteAll("LHLO loft-bench.example\r\n", deadline);
  SmtpReply h = co_await ReadSmtpReply(conn, deadline);
  if (h.code != 250) throw IoError("LHLO: " + Printable(h.text));
  if (o.starttls) {
    co_await conn.WriteAll("STARTTLS\r\n", deadline);
    SmtpReply s = co_await ReadSmtpReply(conn, deadline);
    if (s.code != 220) throw IoError("STARTTLS: " + Printable(s.text));
    co_await conn.StartTls(deadline);
    co_await conn.WriteAll("LHLO loft-bench.example\r\n", deadline);
    SmtpReply h2 = co_await ReadSmtpReply(conn, deadline);
    if (h2.code != 250) throw IoError("LHLO after STARTTLS: " + Printable(h2.text));
  }
}

}  // namespace loft::bench
