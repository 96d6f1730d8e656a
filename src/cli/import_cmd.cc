// loft import: bulk import of existing mail (a Maildir, a directory of
// message files or an mbox) into one mailbox of one user.
//
// Messages go to the store in batches through UserStore::append_many(): one
// fsync pass and one index transaction per batch instead of per message,
// which is what makes 100,000 messages a matter of minutes. Each batch is
// durable when append_many() returns; a failure stops the import with
// everything before it kept. The store announces every commit on the notify
// socket, so a running server tells its IDLE sessions as batches land.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "cli/commands.h"
#include "cli/privileges.h"
#include "cli/sysexits.h"
#include "store/store.h"

namespace loft::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitNoInput = 66;  // EX_NOINPUT: the source does not exist
constexpr int kExitIoErr = 74;    // EX_IOERR: some source files could not be read
// A batch is flushed at this many bytes even below --batch messages, so that
// big messages never make the importer hold gigabytes.
constexpr uint64_t kMaxBatchBytes = 64ull << 20;
// mbox lines are read in pieces of at most this size (a line without a
// newline cannot grow memory without bound).
constexpr size_t kMboxPiece = 64 * 1024;

int fail(int code, const std::string& msg) {
  std::cerr << "loft import: " << msg << "\n";
  return code;
}

// One message waiting in the current batch.
struct Pending {
  std::string data;
  uint32_t flags = 0;
  std::vector<std::string> keywords;
  std::optional<int64_t> internal_date;
};

// Octets as stored: bare LF becomes CRLF (as store::NewMessage documents).
uint64_t stored_size(std::string_view s) {
  uint64_t size = s.size();
  bool prev_cr = false;
  for (char c : s) {
    if (c == '\n' && !prev_cr) ++size;
    prev_cr = c == '\r';
  }
  return size;
}

// Collects messages and hands them to the store in batches.
class Importer {
 public:
  Importer(store::UserStore& mail, std::string mailbox, size_t batch, uint64_t max_size)
      : mail_(mail), mailbox_(std::move(mailbox)), batch_(batch), max_size_(max_size) {}

  // Queues one message (flushing when the batch is full). Too large: skipped
  // and reported, like an unreadable file.
  void add(Pending p, const std::string& where) {
    uint64_t size = stored_size(p.data);
    if (size > max_size_) {
      report(where, "larger than max_message_size (" + std::to_string(max_size_) + " bytes)");
      return;
    }
    pending_bytes_ += size;
    pending_.push_back(std::move(p));
    if (pending_.size() >= batch_ || pending_bytes_ >= kMaxBatchBytes) flush();
  }

  // Throws store::StoreError when the store refuses; nothing of the failed
  // batch is stored then (append_many is all or nothing).
  void flush() {
    if (pending_.empty()) return;
    std::vector<store::NewMessage> msgs(pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) {
      msgs[i].pieces = {pending_[i].data};
      msgs[i].flags = pending_[i].flags;
      msgs[i].keywords = pending_[i].keywords;
      msgs[i].internal_date = pending_[i].internal_date;
    }
    mail_.append_many(mailbox_, msgs);
    imported_ += pending_.size();
    bytes_ += pending_bytes_;
    pending_.clear();
    pending_bytes_ = 0;
  }

  void report(const std::string& where, const std::string& why) {
    std::cerr << "loft import: " << where << ": " << why << " (skipped)\n";
    ++skipped_;
  }

  uint64_t imported() const { return imported_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t skipped() const { return skipped_; }

 private:
  store::UserStore& mail_;
  std::string mailbox_;
  size_t batch_;
  uint64_t max_size_;
  std::vector<Pending> pending_;
  uint64_t pending_bytes_ = 0;
  uint64_t imported_ = 0, bytes_ = 0, skipped_ = 0;
};

// Reads a whole file (at most limit+1 bytes, enough to see it is too big);
// returns the error text on failure. The mtime goes to *mtime.
std::optional<std::string> read_file(const fs::path& path, uint64_t limit, std::string& out, int64_t* mtime) {
  // O_NONBLOCK: a FIFO among the files must not hang the import.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::string(strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::string("not a regular file");
  }
  *mtime = static_cast<int64_t>(st.st_mtime);
  out.clear();
  out.reserve(std::min<uint64_t>(static_cast<uint64_t>(st.st_size), limit + 1));
  char buf[65536];
  while (out.size() <= limit) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = strerror(errno);
      ::close(fd);
      return err;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::nullopt;
}

// ---- Maildir ------------------------------------------------------------------

// Dovecot's dovecot-keywords file: "<index> <keyword>" per line; letter
// 'a'+index in a file name's flags stands for that keyword.
std::map<char, std::string> read_maildir_keywords(const fs::path& maildir) {
  std::map<char, std::string> out;
  std::ifstream in(maildir / "dovecot-keywords");
  std::string line;
  while (std::getline(in, line) && out.size() < 26) {
    auto sp = line.find(' ');
    if (sp == std::string::npos || sp == 0) continue;
    int idx = std::atoi(line.substr(0, sp).c_str());
    std::string kw = line.substr(sp + 1);
    while (!kw.empty() && (kw.back() == '\r' || kw.back() == ' ')) kw.pop_back();
    if (idx >= 0 && idx < 26 && !kw.empty()) out[static_cast<char>('a' + idx)] = kw;
  }
  return out;
}

// Flags from the ":2,<letters>" info suffix of a Maildir file name.
void maildir_flags(std::string_view name, const std::map<char, std::string>& keywords, Pending& p) {
  auto pos = name.rfind(":2,");
  if (pos == std::string_view::npos) return;
  for (char c : name.substr(pos + 3)) {
    switch (c) {
      case 'S': p.flags |= store::kSeen; break;
      case 'R': p.flags |= store::kAnswered; break;
      case 'F': p.flags |= store::kFlagged; break;
      case 'T': p.flags |= store::kDeleted; break;
      case 'D': p.flags |= store::kDraft; break;
      default: {
        auto it = keywords.find(c);
        if (it != keywords.end()) p.keywords.push_back(it->second);
      }
    }
  }
}

// The part of a Maildir name that orders messages: before the info suffix.
std::string_view maildir_base(std::string_view name) { return name.substr(0, name.find(':')); }

struct SourceFile {
  fs::path path;
  std::string name;
};

// Regular files (and symlinks to them) of a directory, dot files left out,
// sorted by name (Maildir: by the base name, which starts with the delivery
// time, so cur/ and new/ interleave in arrival order).
std::vector<SourceFile> list_files(const fs::path& dir, bool maildir_order, Importer& imp) {
  std::vector<SourceFile> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec != std::errc::no_such_file_or_directory) imp.report(dir.string(), ec.message());
    return out;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      imp.report(dir.string(), ec.message());
      break;
    }
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code sec;
    if (it->is_directory(sec)) continue;
    out.push_back({it->path(), name});
  }
  std::sort(out.begin(), out.end(), [maildir_order](const SourceFile& a, const SourceFile& b) {
    if (maildir_order) {
      auto ba = maildir_base(a.name), bb = maildir_base(b.name);
      if (ba != bb) return ba < bb;
    }
    return a.name < b.name;
  });
  return out;
}

void import_files(const std::vector<SourceFile>& files, bool maildir,
                  const std::map<char, std::string>& keywords, uint64_t max_size, Importer& imp) {
  for (const SourceFile& f : files) {
    Pending p;
    int64_t mtime = 0;
    if (auto err = read_file(f.path, max_size, p.data, &mtime)) {
      imp.report(f.path.string(), *err);
      continue;
    }
    p.internal_date = mtime;
    if (maildir) maildir_flags(f.name, keywords, p);
    imp.add(std::move(p), f.path.string());
  }
}

void import_maildir(const fs::path& dir, uint64_t max_size, Importer& imp) {
  auto keywords = read_maildir_keywords(dir);
  std::vector<SourceFile> files = list_files(dir / "cur", true, imp);
  std::vector<SourceFile> fresh = list_files(dir / "new", true, imp);
  files.insert(files.end(), fresh.begin(), fresh.end());
  std::stable_sort(files.begin(), files.end(), [](const SourceFile& a, const SourceFile& b) {
    return maildir_base(a.name) < maildir_base(b.name);
  });
  import_files(files, true, keywords, max_size, imp);
}

// ---- mbox (mboxrd) ----------------------------------------------------------------

// The date of a "From sender Tue Jan  1 00:00:00 2019" line (asctime form,
// taken as UTC); nullopt when it has none that parses.
std::optional<int64_t> from_line_date(const std::string& line) {
  size_t p = 5;  // after "From "
  while (p < line.size() && line[p] == ' ') ++p;
  p = line.find(' ', p);  // end of the sender
  if (p == std::string::npos) return std::nullopt;
  while (p < line.size() && line[p] == ' ') ++p;
  std::string rest = line.substr(p);
  struct tm tm {};
  const char* end = strptime(rest.c_str(), "%a %b %d %H:%M:%S %Y", &tm);
  if (!end) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// Reads a file in pieces that end at a newline or after kMboxPiece bytes.
class PieceReader {
 public:
  explicit PieceReader(FILE* f) : f_(f) {}
  // Next piece into out; false at the end of the file or on an error.
  bool next(std::string& out) {
    out.clear();
    while (out.size() < kMboxPiece) {
      int c = getc_unlocked(f_);
      if (c == EOF) return !out.empty();
      out.push_back(static_cast<char>(c));
      if (c == '\n') break;
    }
    return true;
  }

 private:
  FILE* f_;
};

// ">From ", ">>From ", ...: one '>' less (mboxrd).
bool is_quoted_from(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == '>') ++n;
  return n > 0 && line.substr(n, 5) == "From ";
}

// The blank line that separates a message from the next From_ line belongs
// to the mbox, not to the message.
void strip_separator(std::string& msg) {
  if (msg.size() >= 4 && msg.compare(msg.size() - 4, 4, "\r\n\r\n") == 0) {
    msg.resize(msg.size() - 2);
  } else if (msg.size() >= 2 && msg.compare(msg.size() - 2, 2, "\n\n") == 0) {
    msg.resize(msg.size() - 1);
  }
}

void import_mbox(const fs::path& file, uint64_t max_size, Importer& imp) {
  FILE* f = fopen(file.c_str(), "rbe");
  if (!f) {
    imp.report(file.string(), strerror(errno));
    return;
  }
  PieceReader reader(f);
  std::string piece;
  bool at_line_start = true;
  bool have_message = false;  // text before the first From_ line is a message too, if not blank
  bool too_large = false;
  uint64_t number = 0;
  Pending cur;

  auto finish = [&]() {
    if (!have_message) return;
    ++number;
    std::string where = file.string() + " message " + std::to_string(number);
    if (too_large) {
      imp.report(where, "larger than max_message_size (" + std::to_string(max_size) + " bytes)");
    } else {
      strip_separator(cur.data);
      imp.add(std::move(cur), where);
    }
    cur = Pending();
    too_large = false;
    have_message = false;
  };

  while (reader.next(piece)) {
    bool starts_line = at_line_start;
    at_line_start = !piece.empty() && piece.back() == '\n';
    if (starts_line && piece.compare(0, 5, "From ") == 0) {
      finish();
      have_message = true;
      cur.internal_date = from_line_date(piece);
      continue;  // a From_ line longer than a piece: its rest is read as text
    }
    std::string_view text = piece;
    if (starts_line && is_quoted_from(text)) text.remove_prefix(1);
    if (!have_message) {
      // Blank lines before the first From_ line are no message.
      if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
      have_message = true;
    }
    if (too_large) continue;
    if (cur.data.size() + text.size() > max_size + 2) {
      too_large = true;
      cur.data.clear();
      cur.data.shrink_to_fit();
      continue;
    }
    cur.data.append(text);
  }
  bool read_error = ferror(f) != 0;
  fclose(f);
  if (read_error) {
    // Whatever was read of the last message may be cut short: not stored.
    imp.report(file.string(), "read error after message " + std::to_string(number));
    return;
  }
  finish();
}

}  // namespace

int run_import(const ImportArgs& args) {
  Config config;
  try {
    config = args.source.load();
  } catch (const ConfigError& e) {
    return fail(kExitConfig, e.what());
  }
  if (args.batch == 0) return fail(kExitUsage, "--batch must be at least 1");
  std::error_code ec;
  auto kind = fs::status(args.source_path, ec).type();
  if (ec || (kind != fs::file_type::directory && kind != fs::file_type::regular))
    return fail(kExitNoInput, "cannot use " + args.source_path.string() + ": " +
                                  (ec ? ec.message() : std::string("not a directory or a regular file")));
  if (!fs::exists(config.users_db()))
    return fail(kExitNoUser, "no such user '" + args.user + "' (no user database)");

  const auto start = std::chrono::steady_clock::now();
  std::string mailbox = args.mailbox.empty() ? "INBOX" : args.mailbox;
  uint64_t imported = 0, bytes = 0, skipped = 0;
  try {
    // As `loft deliver`: act as the data directory's owner, so the server
    // can still use every file made here.
    become_data_owner(config.data_dir);
    auto users = auth::UserDb::open(config.users_db());
    auto record = users->find(args.user);
    if (!record) return fail(kExitNoUser, "no such user '" + args.user + "'");

    auto store = store::open_maildir_store(config.store_options());
    auto mail = store->user(record->name);
    if (!mail->mailbox_exists(mailbox)) mail->create_mailbox(mailbox);

    Importer imp(*mail, mailbox, args.batch, config.max_message_size);
    try {
      if (kind == fs::file_type::regular) {
        import_mbox(args.source_path, config.max_message_size, imp);
      } else if (fs::is_directory(args.source_path / "cur", ec) ||
                 fs::is_directory(args.source_path / "new", ec)) {
        import_maildir(args.source_path, config.max_message_size, imp);
      } else {
        import_files(list_files(args.source_path, false, imp), false, {}, config.max_message_size, imp);
      }
      imp.flush();
    } catch (const store::StoreError& e) {
      std::cerr << "loft import: stopped after " << imp.imported() << " messages: " << e.what() << "\n";
      return e.code() == store::ErrorCode::kTemporary ? kExitTempFail : kExitSoftware;
    }
    imported = imp.imported();
    bytes = imp.bytes();
    skipped = imp.skipped();
  } catch (const store::StoreError& e) {
    return fail(e.code() == store::ErrorCode::kTemporary ? kExitTempFail : kExitCantCreate, e.what());
  } catch (const std::exception& e) {
    return fail(kExitTempFail, e.what());
  }

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char line[256];
  snprintf(line, sizeof line, "imported %llu messages (%llu bytes) into %s/%s in %.2f s (%.0f messages/s)",
           static_cast<unsigned long long>(imported), static_cast<unsigned long long>(bytes),
           args.user.c_str(), mailbox.c_str(), secs, secs > 0 ? static_cast<double>(imported) / secs : 0.0);
  std::cout << line << "\n";
  if (skipped > 0) {
    std::cout << skipped << " skipped (see the messages above)\n";
    return kExitIoErr;
  }
  return kExitOk;
}

}  // namespace loft::cli
