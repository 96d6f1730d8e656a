#include "imap_client.h"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>

namespace loft::bench {

std::unordered_map<uint32_t, ImmutableFacts>& ImapShared::FactsFor(const std::string& key) {
  auto& m = facts[key];
  if (m.size() > 2000000) m.clear();  // bounded memory: forget, never misjudge
  return m;
}

std::string ImapQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

ImapClient::ImapClient(ImapShared& shared, std::string name) : shared_(shared), name_(std::move(name)) {}

bool ImapClient::HasCap(std::string_view cap) const { return caps_.count(Upper(cap)) > 0; }

void ImapClient::ParseCapabilities(std::string_view text) {
  caps_.clear();
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) caps_.insert(Upper(text.substr(i, j - i)));
    i = j + 1;
  }
}

Task<void> ImapClient::Open() {
  const Options& o = shared_.opt;
  int port = o.port ? o.port : (o.tls ? 993 : 143);
  msgs_.clear();
  known_end_ = 0;
  co_await conn_.Connect(o.host, port, Deadline());
  if (o.tls) co_await conn_.StartTls(Deadline());
  std::string greeting = co_await ReadImapResponse(conn_, Deadline());
  if (greeting.rfind("* OK", 0) != 0 && greeting.rfind("* PREAUTH", 0) != 0)
    throw IoError("unexpected greeting: " + Printable(greeting, 200));
  if (o.starttls) {
    Reply r = co_await Command("STARTTLS");
    if (!r.ok()) throw IoError("STARTTLS refused: " + Printable(r.tagged, 200));
    co_await conn_.StartTls(Deadline());
  }
  Reply caps = co_await Command("CAPABILITY");
  if (!caps.ok()) throw IoError("CAPABILITY failed");
}

Task<Reply> ImapClient::Login(const std::string& user, const std::string& password) {
  user_ = user;
  Reply r;
  if (shared_.opt.auth == "plain") {
    std::string raw = std::string(1, '\0') + user + std::string(1, '\0') + password;
    std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    b64.resize(n);
    if (HasCap("SASL-IR")) {
      r = co_await Command("AUTHENTICATE PLAIN " + b64);
    } else {
      std::string tag = NextTag();
      co_await conn_.WriteAll(tag + " AUTHENTICATE PLAIN\r\n", Deadline());
      std::string line = co_await ReadImapResponse(conn_, Deadline());
      if (line.rfind("+", 0) == 0) co_await conn_.WriteAll(b64 + "\r\n", Deadline());
      else if (line.rfind(tag + " ", 0) == 0) throw IoError("AUTHENTICATE refused: " + Printable(line, 200));
      co_await ReadUntilTagged(tag, r, false, "AUTHENTICATE");
    }
  } else {
    r = co_await Command("LOGIN " + ImapQuote(user) + " " + ImapQuote(password));
  }
  if (!r.ok()) throw IoError(fmt::format("login as {} failed: {}", user, Printable(r.tagged, 200)));
  Reply caps = co_await Command("CAPABILITY");
  co_return r;
}

Task<Reply> ImapClient::Select(const std::string& mailbox, bool examine) {
  msgs_.clear();
  known_end_ = 0;
  max_uid_seen_ = 0;
  keywords_allowed_ = false;
  facts_key_ = user_ + "/" + mailbox;
  facts_ = &shared_.FactsFor(facts_key_);
  condstore_ = HasCap("CONDSTORE");
  std::string cmd = fmt::format("{} {}{}", examine ? "EXAMINE" : "SELECT", ImapQuote(mailbox),
                                condstore_ ? " (CONDSTORE)" : "");
  Reply r = co_await Command(cmd);
  co_return r;
}

Task<Reply> ImapClient::Command(std::string_view text, bool allow_no) {
  std::string tag = NextTag();
  current_uid_command_ = text.size() > 4 && IEquals(text.substr(0, 4), "UID ");
  std::string line = tag + " " + std::string(text) + "\r\n";
  co_await conn_.WriteAll(line, Deadline());
  std::string_view what = text.substr(0, std::min<size_t>(text.size(), 60));
  Reply r;
  co_await ReadUntilTagged(tag, r, allow_no, what);
  co_return r;
}

Task<Reply> ImapClient::Append(const std::string& mailbox, std::string_view flags, const std::string& message) {
  std::string tag = NextTag();
  current_uid_command_ = false;
  co_await conn_.WriteAll(fmt::format("{} APPEND {} ({}) {{{}}}\r\n", tag, ImapQuote(mailbox), flags, message.size()),
                          Deadline());
  Reply r;
  while (true) {
    std::string line = co_await ReadImapResponse(conn_, Deadline());
    if (line.rfind("+", 0) == 0) break;
    if (line.rfind("* ", 0) == 0) {
      HandleUntagged(line, &r);
      continue;
    }
    if (line.rfind(tag + " ", 0) == 0) {
      r.tagged = line;
      r.status = Reply::kNo;
      if (line.compare(tag.size() + 1, 3, "BAD") == 0) {
        r.status = Reply::kBad;
        Violation("APPEND literal refused with BAD: " + line);
      } else {
        shared_.report.Error(name_, "APPEND refused: " + line);
      }
      co_return r;
    }
    Violation("unexpected line while waiting for the APPEND continuation: " + line);
  }
  co_await conn_.WriteAll(message, Deadline());
  co_await conn_.WriteAll("\r\n", Deadline());
  co_await ReadUntilTagged(tag, r, false, "APPEND");
  co_return r;
}

Task<void> ImapClient::ReadUntilTagged(const std::string& tag, Reply& r, bool allow_no, std::string_view what) {
  while (true) {
    std::string line = co_await ReadImapResponse(conn_, Deadline());
    if (line.rfind("* ", 0) == 0) {
      HandleUntagged(line, &r);
      continue;
    }
    if (line.rfind(tag + " ", 0) == 0) {
      r.tagged = line;
      std::string_view rest = std::string_view(line).substr(tag.size() + 1);
      if (rest.size() >= 2 && IEquals(rest.substr(0, 2), "OK")) {
        r.status = Reply::kOk;
        // [APPENDUID validity uid]
        auto p = line.find("[APPENDUID ");
        if (p != std::string::npos) {
          ImapParser ps(line, p + 11);
          uint64_t v, u;
          if (ps.Number(v) && ps.Space() && ps.Number(u)) r.appenduid = static_cast<uint32_t>(u);
        }
        auto c = line.find("[CAPABILITY ");
        if (c != std::string::npos) {
          auto e = line.find(']', c);
          if (e != std::string::npos) ParseCapabilities(std::string_view(line).substr(c + 12, e - c - 12));
        }
      } else if (rest.size() >= 2 && IEquals(rest.substr(0, 2), "NO")) {
        r.status = Reply::kNo;
        if (!allow_no) shared_.report.Error(name_, fmt::format("{} -> {}", what, line));
      } else {
        r.status = Reply::kBad;
        Violation(fmt::format("{} -> {}", what, line));
      }
      co_return;
    }
    if (line.rfind("+", 0) == 0) {
      Violation(fmt::format("unexpected continuation during {}: {}", what, line));
      continue;
    }
    Violation(fmt::format("unparsable response during {}: {}", what, line));
  }
}

void ImapClient::HandleUntagged(const std::string& line, Reply* r) {
  ImapParser p(line, 2);
  if (p.Peek('0') || (line.size() > 2 && std::isdigit(static_cast<unsigned char>(line[2])))) {
    uint64_t n;
    std::string kw;
    if (!p.Number(n) || !p.Space() || !p.Atom(kw)) {
      Violation("unparsable numeric response: " + line);
      return;
    }
    kw = Upper(kw);
    if (kw == "EXISTS") OnExists(n);
    else if (kw == "EXPUNGE") OnExpunge(n);
    else if (kw == "FETCH") {
      Val atts;
      if (!p.Space() || !p.Value(atts) || !atts.IsList()) {
        Violation("unparsable FETCH response: " + line);
        return;
      }
      OnFetch(n, atts, r, line);
    }
    return;  // RECENT and others
  }
  std::string kw;
  if (!p.Atom(kw)) return;
  kw = Upper(kw);
  if (kw == "SEARCH") {
    OnSearch(p.Rest(), r, line);
  } else if (kw == "CAPABILITY") {
    ParseCapabilities(p.Rest().substr(p.Rest().empty() ? 0 : 1));
  } else if (kw == "LIST" || kw == "LSUB") {
    Val flags, delim, name;
    if (p.Space() && p.Value(flags) && p.Space() && p.Value(delim) && p.Space() && p.Value(name)) {
      bool noselect = false;
      for (auto& f : flags.list) noselect |= IEquals(f.s, "\\Noselect") || IEquals(f.s, "\\NonExistent");
      if (r && !noselect) r->list_names.push_back(name.s);
    } else {
      Violation("unparsable LIST response: " + line);
    }
  } else if (kw == "OK") {
    auto pf = line.find("[PERMANENTFLAGS ");
    if (pf != std::string::npos) keywords_allowed_ = line.find("\\*", pf) != std::string::npos;
  } else if (kw == "BAD") {
    shared_.report.Warning("untagged_bad");
  } else if (kw == "VANISHED") {
    // Only with QRESYNC, which is never enabled here.
    Violation("VANISHED without QRESYNC: " + line);
  }
}

void ImapClient::OnExists(uint64_t n) {
  if (n < msgs_.size()) {
    Violation(fmt::format("* {} EXISTS is smaller than the {} messages known without EXPUNGE", n, msgs_.size()));
    msgs_.resize(n);
    known_end_ = std::min<size_t>(known_end_, n);
    return;
  }
  if (n > 10000000) {
    Violation(fmt::format("* {} EXISTS is implausible", n));
    return;
  }
  msgs_.resize(n);
}

void ImapClient::OnExpunge(uint64_t n) {
  if (n == 0 || n > msgs_.size()) {
    Violation(fmt::format("* {} EXPUNGE beyond the {} messages in the mailbox", n, msgs_.size()));
    return;
  }
  msgs_.erase(msgs_.begin() + static_cast<long>(n - 1));
  if (n - 1 < known_end_) --known_end_;
}

void ImapClient::SetUid(size_t index, uint32_t uid, const std::string& line) {
  // UIDs strictly increase with the sequence number.
  for (size_t i = index; i-- > 0;) {
    if (msgs_[i].uid) {
      if (msgs_[i].uid >= uid)
        Violation(fmt::format("UID {} at seq {} is not above UID {} at seq {}: {}", uid, index + 1, msgs_[i].uid,
                              i + 1, line));
      break;
    }
  }
  for (size_t i = index + 1; i < std::min(msgs_.size(), known_end_); ++i) {
    if (msgs_[i].uid) {
      if (msgs_[i].uid <= uid)
        Violation(fmt::format("UID {} at seq {} is not below UID {} at seq {}: {}", uid, index + 1, msgs_[i].uid,
                              i + 1, line));
      break;
    }
  }
  msgs_[index].uid = uid;
  known_end_ = std::max(known_end_, index + 1);
  max_uid_seen_ = std::max(max_uid_seen_, uid);
}

void ImapClient::OnFetch(uint64_t seq, const Val& atts, Reply* r, const std::string& line) {
  if (seq == 0 || seq > msgs_.size()) {
    Violation(fmt::format("FETCH for seq {} beyond the {} messages in the mailbox: {}", seq, msgs_.size(), line));
    return;
  }
  FetchItem item;
  item.seq = static_cast<uint32_t>(seq);
  uint64_t size = UINT64_MAX, full_size = UINT64_MAX, modseq = 0, env = 0, bs = 0;
  bool has_uid = false;
  bool nil_response = false;  // RFC 2180 4.1.3 "NIL FETCH response" for a message expunged elsewhere
  const auto& l = atts.list;
  for (size_t i = 0; i + 1 < l.size(); i += 2) {
    std::string name = Upper(l[i].s);
    const Val& v = l[i + 1];
    if (name == "UID") {
      has_uid = true;
      item.uid = static_cast<uint32_t>(std::strtoull(v.s.c_str(), nullptr, 10));
    } else if (name == "FLAGS") {
      item.has_flags = true;
      for (auto& f : v.list) item.flags.push_back(f.s);
    } else if (name == "MODSEQ") {
      if (!v.list.empty()) modseq = std::strtoull(v.list[0].s.c_str(), nullptr, 10);
    } else if (name == "RFC822.SIZE") {
      size = std::strtoull(v.s.c_str(), nullptr, 10);
    } else if (name == "ENVELOPE") {
      env = v.Hash() | 1;
      bool all_nil = v.list.size() == 10;
      for (auto& e : v.list) all_nil &= e.kind == Val::kNil;
      nil_response |= all_nil;
    } else if (name == "BODYSTRUCTURE") {
      bs = v.Hash() | 1;
    } else if (name.rfind("BODY[", 0) == 0 || name.rfind("BINARY[", 0) == 0 || name == "RFC822") {
      if (v.kind != Val::kNil) item.body_size = static_cast<int64_t>(v.s.size());
      else nil_response = true;
      if ((name == "BODY[]" || name == "RFC822") && v.kind != Val::kNil) full_size = v.s.size();
    }
  }
  if (l.size() % 2 != 0) Violation("FETCH attribute list with an odd number of items: " + line);
  Msg& m = msgs_[seq - 1];
  if (has_uid) {
    if (item.uid == 0) Violation("FETCH with UID 0: " + line);
    else if (m.uid == 0) SetUid(seq - 1, item.uid, line);
    else if (m.uid != item.uid)
      Violation(fmt::format("FETCH seq {} has UID {} but the model says UID {}: {}", seq, item.uid, m.uid, line));
  }
  uint32_t uid = m.uid;
  item.uid = uid;
  if (size == 0) nil_response = true;  // no RFC 5322 message has 0 octets
  if (nil_response) shared_.report.Warning("nil_fetch_response");
  if (uid && facts_ && !nil_response) {
    ImmutableFacts& f = (*facts_)[uid];
    // RFC822.SIZE is the exact size of BODY[]; both never change for a UID.
    for (uint64_t sz : {size, full_size}) {
      if (sz == UINT64_MAX) continue;
      if (f.size != UINT64_MAX && f.size != sz)
        Violation(fmt::format("UID {} size {} octets differs from {} seen before (RFC822.SIZE / BODY[]): {}", uid,
                              sz, f.size, Printable(line, 200)));
      f.size = sz;
    }
    if (env) {
      if (f.envelope && f.envelope != env) Violation(fmt::format("UID {} ENVELOPE changed: {}", uid, Printable(line, 300)));
      f.envelope = env;
    }
    if (bs) {
      if (f.bodystructure && f.bodystructure != bs)
        Violation(fmt::format("UID {} BODYSTRUCTURE changed: {}", uid, Printable(line, 300)));
      f.bodystructure = bs;
    }
  }
  if (modseq && condstore_) {
    if (uid && modseq < m.modseq)
      Violation(fmt::format("UID {} MODSEQ went down from {} to {}: {}", uid, m.modseq, modseq, line));
    m.modseq = std::max(m.modseq, modseq);
  }
  if (r) r->fetches.push_back(std::move(item));
}

void ImapClient::OnSearch(std::string_view rest, Reply* r, const std::string& line) {
  ImapParser p(rest);
  std::vector<uint64_t> nums;
  while (p.Space()) {
    if (p.Peek('(')) break;  // (MODSEQ n)
    uint64_t n;
    if (!p.Number(n)) {
      Violation("unparsable SEARCH response: " + Printable(line, 200));
      return;
    }
    nums.push_back(n);
  }
  for (size_t i = 1; i < nums.size(); ++i) {
    if (nums[i] <= nums[i - 1]) {
      Violation(fmt::format("SEARCH results not strictly increasing ({} after {})", nums[i], nums[i - 1]));
      break;
    }
  }
  if (current_uid_command_) {
    // Every UID is either in the model or newer than any UID known.
    size_t known = 0;
    while (known < msgs_.size() && msgs_[known].uid) ++known;
    for (uint64_t u : nums) {
      if (u > max_uid_seen_) continue;
      auto it = std::lower_bound(msgs_.begin(), msgs_.begin() + static_cast<long>(known), u,
                                 [](const Msg& m, uint64_t v) { return m.uid < v; });
      bool present = it != msgs_.begin() + static_cast<long>(known) && it->uid == u;
      if (!present && known == msgs_.size()) {
        Violation(fmt::format("UID SEARCH returned UID {} which is not in the mailbox (highest known {})", u,
                              max_uid_seen_));
        break;
      }
    }
  } else {
    for (uint64_t n : nums) {
      if (n == 0 || n > msgs_.size()) {
        Violation(fmt::format("SEARCH returned seq {} beyond the {} messages", n, msgs_.size()));
        break;
      }
    }
  }
  if (r) {
    r->had_search = true;
    r->search.insert(r->search.end(), nums.begin(), nums.end());
  }
}

Task<void> ImapClient::SyncUnknown() {
  size_t first = 0;
  while (first < msgs_.size() && msgs_[first].uid) ++first;
  if (first == msgs_.size()) co_return;
  Reply r = co_await Command(fmt::format("FETCH {}:{} (UID FLAGS)", first + 1, msgs_.size()));
  (void)r;
}

Task<bool> ImapClient::IdleStart() {
  idle_tag_ = NextTag();
  current_uid_command_ = false;
  co_await conn_.WriteAll(idle_tag_ + " IDLE\r\n", Deadline());
  while (true) {
    std::string line = co_await ReadImapResponse(conn_, Deadline());
    if (line.rfind("+", 0) == 0) co_return true;
    if (line.rfind("* ", 0) == 0) {
      HandleUntagged(line, nullptr);
      continue;
    }
    if (line.rfind(idle_tag_ + " ", 0) == 0) {
      shared_.report.Error(name_, "IDLE refused: " + line);
      co_return false;
    }
    Violation("unexpected line while starting IDLE: " + line);
  }
}

Task<bool> ImapClient::IdleWaitForExists(TimePoint deadline) {
  size_t before = msgs_.size();
  while (msgs_.size() <= before) {
    if (!co_await conn_.WaitData(deadline)) co_return false;
    std::string line = co_await ReadImapResponse(conn_, Deadline());
    if (line.rfind("* ", 0) == 0) HandleUntagged(line, nullptr);
    else Violation("unexpected line while idling: " + line);
  }
  co_return true;
}

Task<void> ImapClient::IdleFor(TimePoint until) {
  while (co_await conn_.WaitData(until)) {
    std::string line = co_await ReadImapResponse(conn_, Deadline());
    if (line.rfind("* ", 0) == 0) HandleUntagged(line, nullptr);
    else Violation("unexpected line while idling: " + line);
  }
}

Task<Reply> ImapClient::IdleDone() {
  co_await conn_.WriteAll("DONE\r\n", Deadline());
  Reply r;
  co_await ReadUntilTagged(idle_tag_, r, false, "IDLE");
  co_return r;
}

Task<void> ImapClient::Logout() {
  std::string tag = NextTag();
  co_await conn_.WriteAll(tag + " LOGOUT\r\n", Deadline());
  while (true) {
    std::string line = co_await ReadImapResponse(conn_, Deadline());
    if (line.rfind(tag + " ", 0) == 0) break;
    if (line.rfind("* BYE", 0) == 0) continue;
    if (line.rfind("* ", 0) == 0) HandleUntagged(line, nullptr);
  }
  conn_.Close();
}

}  // namespace loft::bench
