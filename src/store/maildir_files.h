// Message files in a Maildir: CRLF normalisation, the tmp/ -> cur/ write
// protocol with fsync, file names, links and directory housekeeping.
//
// File name format (cur/), never changed after delivery because flags live
// in the index:
//   <sec>.M<usec>P<pid>Q<counter>R<16 hex random>.<host>,S=<size>:2,
// <size> is the file's size in octets (CRLF line ends, as served). The
// ":2," info part is empty so other Maildir tools see a valid cur/ name. The
// same name without ",S=...:2," is used in tmp/ while the file is written.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace loft::store::internal {

namespace fs = std::filesystem;

// Throws StoreError(kTemporary) describing errno `err`.
[[noreturn]] void throw_io(const std::string& what, int err);

// Turns every LF not preceded by CR into CRLF; every other byte (NUL, bare
// CR) passes untouched. Keeps state across calls so pieces can be fed one by one.
class CrlfNormalizer {
 public:
  void feed(std::string_view in, std::string& out);

 private:
  bool prev_cr_ = false;
};

// Size of the concatenated pieces after normalisation.
uint64_t normalized_size(std::span<const std::string_view> pieces);

std::string new_unique_name();
std::string cur_file_name(std::string_view unique_name, uint64_t size);
// True for names new_unique_name()/cur_file_name() make (cur/ form).
bool is_store_file_name(std::string_view name);
// System flags from a Maildir info suffix ":2,<letters>" (for files in new/).
uint32_t flags_from_maildir_info(std::string_view name);

// A message file written completely into tmp/, not yet fsync'ed nor in cur/.
struct StagedFile {
  std::string unique;  // its name in tmp/
  uint64_t size = 0;
};

// Writes one message into <mailbox_dir>/tmp and moves it into cur/ on
// finish(), or hands it to a MessageBatch with stage(). Until then, and if
// anything fails, the tmp file is removed.
class MessageWriter {
 public:
  MessageWriter(fs::path mailbox_dir, bool fsync);
  ~MessageWriter();
  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  void write(std::string_view raw);  // normalised to CRLF
  // Rename into cur/, fsync the file, fsync cur/. Returns the cur/ file
  // name; on failure the file is removed from cur/ again.
  std::string finish();
  // Flushes and closes the file and leaves it in tmp/ for the caller
  // (normally MessageBatch::add), who then owns it.
  StagedFile stage();
  uint64_t size() const { return size_; }

 private:
  void flush();

  fs::path dir_;
  bool fsync_;
  std::string unique_;
  int fd_ = -1;
  std::string buf_;
  uint64_t size_ = 0;
  CrlfNormalizer crlf_;
};

// Many message files made durable in cur/ together (scan_new). One fsync
// after another costs a journal commit each (ext4 on the development VM:
// 0.4-4 ms, so 934 files took up to 3.5 s); issued from several threads at
// once, the file system commits them together (0.1-0.4 s for the same files).
// Then one fsync of cur/ covers every rename. Files are removed again unless keep() is called: from tmp/ before
// publish(), from cur/ after it.
class MessageBatch {
 public:
  MessageBatch(fs::path mailbox_dir, bool fsync);
  ~MessageBatch();
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;

  // Takes over a staged file.
  void add(StagedFile f);
  size_t size() const { return files_.size(); }
  uint64_t bytes() const { return bytes_; }
  fs::path tmp_path(size_t i) const { return dir_ / "tmp" / files_[i].unique; }

  // Rename each file into cur/, fsync them all, fsync cur/. Returns the
  // cur/ names in the order the files were added. Called once.
  const std::vector<std::string>& publish();
  // The index refers to the files now: leave them.
  void keep() noexcept { kept_ = true; }

 private:
  fs::path dir_;
  bool fsync_;
  std::vector<StagedFile> files_;
  std::vector<std::string> published_;  // cur/ names of files_[0 .. size)
  uint64_t bytes_ = 0;
  bool kept_ = false;
};

// fsync of many files at once (from a few threads); throws the first error.
void fsync_files(std::span<const fs::path> paths);

// <mailbox_dir>/cur/<file> for a file name read back from the index;
// throws StoreError(kTemporary) for a name that is not a plain file name.
fs::path cur_path(const fs::path& mailbox_dir, std::string_view file);

void fsync_dir(const fs::path& dir);
// Creates dir (if missing) and its cur/ new/ tmp/, mode 0700, durably when fsync.
void make_maildir(const fs::path& dir, bool fsync);
// rm -rf; false if something could not be removed.
bool remove_tree(const fs::path& dir) noexcept;
void unlink_quiet(const fs::path& path) noexcept;
// Hard-links src to dst (dst must not exist); falls back to a copy with
// fsync where links are impossible. Refreshes src's mtime first so the new
// name never looks like an old orphan to a concurrent cleanup.
void link_or_copy(const fs::path& src, const fs::path& dst, bool fsync);

struct FileEntry {
  std::string name;
  struct timespec mtime;
};
// Regular files in dir, skipping names that start with '.'. A missing dir gives {}.
std::vector<FileEntry> list_files(const fs::path& dir);

// The subdirectories of a Maildir that look like mailboxes ("." + name),
// sorted by name, with their mtimes; symbolic links are not followed.
std::vector<FileEntry> list_mailbox_like_dirs(const fs::path& maildir);

// A stored message file opened read-only with its size. Throws StoreError
// kNotFound when the file is gone (expunged meanwhile), kTemporary on I/O
// errors.
MessageFile open_message_file(const fs::path& path);
bool is_older_than(const struct timespec& mtime, std::chrono::seconds age);

}  // namespace loft::store::internal
