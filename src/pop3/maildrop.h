// The fixed view of INBOX a POP3 session works on (RFC 1939: message
// numbers and sizes do not change during a session), with the session's
// pending deletions and \Seen updates, which are applied only at QUIT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/store.h"

namespace loft::pop3 {

class Maildrop {
 public:
  struct Message {
    uint32_t uid = 0;
    uint64_t size = 0;
    bool seen = false;       // \Seen when the session started
    bool deleted = false;    // DELE'd in this session
    bool retrieved = false;  // RETR'd in this session (to be marked \Seen)
  };

  Maildrop() = default;
  Maildrop(const std::vector<store::MessageInfo>& messages, uint32_t uidvalidity);

  size_t count() const { return messages_.size(); }  // including deleted ones
  size_t live_count() const { return messages_.size() - deleted_count_; }
  uint64_t live_size() const { return total_size_ - deleted_size_; }
  const Message& at(size_t index) const { return messages_[index]; }

  // Resolves the message-number argument of a command (1-based) to an index,
  // or the error line to send. `rest` receives what follows the number.
  // then_space: another argument must follow (TOP).
  std::variant<size_t, std::string> lookup(std::string_view args, bool then_space,
                                           std::string_view* rest = nullptr) const;

  void mark_deleted(size_t index);
  void mark_retrieved(size_t index);
  // RSET: forget deletions and \Seen updates.
  void reset();
  bool any_deleted() const { return deleted_count_ > 0; }

  // Unique-id listing text: UID and UIDVALIDITY as 8 lower-case hex digits
  // each. Stable for the life of the message and never reused, since UIDs are
  // never reused within one UIDVALIDITY.
  std::string unique_id(size_t index) const;

  // For QUIT: UIDs to mark \Seen (retrieved, not already seen, not deleted)
  // and UIDs to expunge, ascending.
  std::vector<uint32_t> seen_updates() const;
  std::vector<uint32_t> deleted_uids() const;

 private:
  std::vector<Message> messages_;
  uint32_t uidvalidity_ = 0;
  uint64_t total_size_ = 0;
  size_t deleted_count_ = 0;
  uint64_t deleted_size_ = 0;
};

}  // namespace loft::pop3
