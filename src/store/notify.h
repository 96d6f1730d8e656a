// Best-effort datagrams "<user>\n<mailbox>" to the serving process's
// notify socket after each commit, so it can wake sessions of that user.
#pragma once

#include <filesystem>
#include <string>

namespace loft::store::internal {

class Notifier {
 public:
  explicit Notifier(const std::filesystem::path& socket_path);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Never blocks and never fails: no listener, a full queue or a missing
  // socket are all ignored.
  void send(const std::string& user, const std::string& mailbox) const;

 private:
  int fd_ = -1;
  std::string path_;
};

// Whether a process is bound to the socket now (a serving process): a
// datagram socket connects only to a live one.
bool socket_has_listener(const std::filesystem::path& socket_path);

}  // namespace loft::store::internal
