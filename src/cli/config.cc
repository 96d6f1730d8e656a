#include "cli/config.h"

#include <unistd.h>

#include <set>
#include <toml++/toml.h>

namespace loft::cli {
namespace {

const std::set<std::string> kProtocols = {"imap", "imaps", "pop3", "pop3s", "lmtp"};

std::string where(const std::filesystem::path& file, const toml::node& node, const std::string& key) {
  auto src = node.source();
  std::string s = file.string();
  if (src.begin.line) s += ":" + std::to_string(src.begin.line);
  return s + ": " + key;
}

// Reads the table's keys, refusing any the caller did not ask for: a typo
// in a mail server's configuration must not silently fall back to a default.
class Section {
 public:
  Section(const std::filesystem::path& file, const toml::table& table, std::string prefix)
      : file_(file), table_(table), prefix_(std::move(prefix)) {}

  void string(const char* key, std::string& out) {
    seen_.insert(key);
    if (auto* n = table_.get(key)) {
      if (!n->is_string()) throw ConfigError(where(file_, *n, name(key)) + ": expected a string");
      out = n->as_string()->get();
    }
  }
  void path(const char* key, std::filesystem::path& out, const std::filesystem::path& base) {
    std::string s;
    string(key, s);
    if (s.empty()) {
      if (table_.get(key)) throw ConfigError(where(file_, *table_.get(key), name(key)) + ": empty path");
      return;
    }
    out = std::filesystem::path(s).is_absolute() ? std::filesystem::path(s) : base / s;
  }
  void boolean(const char* key, bool& out) {
    seen_.insert(key);
    if (auto* n = table_.get(key)) {
      if (!n->is_boolean()) throw ConfigError(where(file_, *n, name(key)) + ": expected true or false");
      out = n->as_boolean()->get();
    }
  }
  // A non-negative integer; strings with a K/M/G suffix are accepted for sizes.
  void number(const char* key, uint64_t& out, uint64_t min, uint64_t max) {
    seen_.insert(key);
    auto* n = table_.get(key);
    if (!n) return;
    int64_t v = 0;
    if (n->is_integer()) {
      v = n->as_integer()->get();
    } else if (n->is_string()) {
      const std::string& s = n->as_string()->get();
      size_t pos = 0;
      try {
        v = std::stoll(s, &pos);
      } catch (...) {
        throw ConfigError(where(file_, *n, name(key)) + ": expected a number, got \"" + s + "\"");
      }
      std::string suffix = s.substr(pos);
      if (suffix == "K" || suffix == "k") v <<= 10;
      else if (suffix == "M" || suffix == "m") v <<= 20;
      else if (suffix == "G" || suffix == "g") v <<= 30;
      else if (!suffix.empty())
        throw ConfigError(where(file_, *n, name(key)) + ": bad size suffix \"" + suffix + "\" (use K, M or G)");
    } else {
      throw ConfigError(where(file_, *n, name(key)) + ": expected a number");
    }
    if (v < 0 || static_cast<uint64_t>(v) < min || static_cast<uint64_t>(v) > max)
      throw ConfigError(where(file_, *n, name(key)) + ": " + std::to_string(v) + " is out of range [" +
                        std::to_string(min) + ", " + std::to_string(max) + "]");
    out = static_cast<uint64_t>(v);
  }
  const toml::table* subtable(const char* key) {
    seen_.insert(key);
    auto* n = table_.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) throw ConfigError(where(file_, *n, name(key)) + ": expected a [" + name(key) + "] section");
    return n->as_table();
  }
  void finish() {
    for (auto& [k, v] : table_) {
      if (!seen_.count(std::string(k.str())))
        throw ConfigError(where(file_, v, name(std::string(k.str()))) + ": unknown setting");
    }
  }

 private:
  std::string name(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  const std::filesystem::path& file_;
  const toml::table& table_;
  std::string prefix_;
  std::set<std::string> seen_;
};

}  // namespace

ConfigError::ConfigError(const std::string& what) : std::runtime_error([&] {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line;
  for (unsigned char c : what) {
    if (c < 0x20 || c == 0x7f) {
      line += "\\x";
      line += kHex[c >> 4];
      line += kHex[c & 15];
    } else {
      line += static_cast<char>(c);
    }
  }
  return line;
}()) {}

bool Config::self_signed() const { return tls_cert.empty(); }
std::filesystem::path Config::cert_path() const { return tls_cert.empty() ? data_dir / "tls" / "cert.pem" : tls_cert; }
std::filesystem::path Config::key_path() const { return tls_key.empty() ? data_dir / "tls" / "key.pem" : tls_key; }

Config load_config(const std::optional<std::filesystem::path>& file) {
  Config c;
  char host[256] = "localhost";
  if (gethostname(host, sizeof host - 1) == 0) host[sizeof host - 1] = 0;
  c.hostname = host;
  if (!file) return c;

  toml::table root;
  try {
    root = toml::parse_file(file->string());
  } catch (const toml::parse_error& e) {
    std::string what(e.description());
    if (e.source().begin.line)
      throw ConfigError(file->string() + ":" + std::to_string(e.source().begin.line) + ": " + what);
    throw ConfigError(file->string() + ": " + what);
  }
  auto base = std::filesystem::absolute(*file).parent_path();

  Section top(*file, root, "");
  top.path("data_dir", c.data_dir, base);
  top.string("hostname", c.hostname);
  top.string("run_as", c.run_as);
  if (c.hostname.empty()) throw ConfigError(file->string() + ": hostname: must not be empty");

  if (auto* t = top.subtable("listeners")) {
    c.listeners.clear();
    Section s(*file, *t, "listeners");
    for (auto& [k, v] : *t) {
      std::string proto(k.str());
      if (!kProtocols.count(proto))
        throw ConfigError(where(*file, v, "listeners." + proto) + ": unknown protocol (imap, imaps, pop3, pop3s, lmtp)");
      auto add = [&](const toml::node& n) {
        if (!n.is_string() || n.as_string()->get().empty())
          throw ConfigError(where(*file, n, "listeners." + proto) + ": expected \"host:port\" strings");
        c.listeners.push_back({proto, n.as_string()->get()});
      };
      if (v.is_array()) {
        for (auto& e : *v.as_array()) add(e);
      } else {
        add(v);
      }
    }
  }
  if (auto* t = top.subtable("tls")) {
    Section s(*file, *t, "tls");
    s.path("cert", c.tls_cert, base);
    s.path("key", c.tls_key, base);
    s.finish();
    if (c.tls_cert.empty() != c.tls_key.empty())
      throw ConfigError(file->string() + ": tls: cert and key must be given together");
  }
  if (auto* t = top.subtable("auth")) {
    Section s(*file, *t, "auth");
    s.boolean("plaintext_on_loopback", c.plaintext_on_loopback);
    s.boolean("plaintext_without_tls", c.plaintext_without_tls);
    s.boolean("apop", c.apop);
    s.finish();
  }
  if (auto* t = top.subtable("limits")) {
    Section s(*file, *t, "limits");
    s.number("max_message_size", c.max_message_size, 1024, 1ull << 40);
    s.number("max_connections", c.max_connections, 1, 10'000'000);
    s.number("max_connections_per_ip", c.max_connections_per_ip, 1, 10'000'000);
    s.number("login_timeout", c.login_timeout, 1, 86400);
    s.number("pop3_idle_timeout", c.pop3_idle_timeout, 1, 86400);
    s.number("imap_idle_timeout", c.imap_idle_timeout, 1800, 86400);
    s.number("lmtp_idle_timeout", c.lmtp_idle_timeout, 1, 86400);
    s.number("worker_threads", c.worker_threads, 1, 256);
    s.number("message_memory", c.message_memory, 1024, 1ull << 44);
    s.finish();
    if (t->contains("message_memory") && c.message_memory < c.max_message_size)
      throw ConfigError(file->string() + ": limits: message_memory must be at least max_message_size");
  }
  // One message of the largest size always fits.
  if (c.message_memory < c.max_message_size) c.message_memory = c.max_message_size;
  if (auto* t = top.subtable("storage")) {
    Section s(*file, *t, "storage");
    s.boolean("fsync", c.fsync);
    s.finish();
  }
  if (auto* t = top.subtable("log")) {
    Section s(*file, *t, "log");
    s.string("level", c.log_level);
    s.finish();
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
    if (!levels.count(c.log_level))
      throw ConfigError(file->string() + ": log.level: \"" + c.log_level + "\" is not one of trace, debug, info, warn, error");
  }
  top.finish();
  return c;
}

}  // namespace loft::cli
