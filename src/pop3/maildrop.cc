#include "pop3/maildrop.h"

#include <cstdio>

#include "pop3/arguments.h"

namespace loft::pop3 {

Maildrop::Maildrop(const std::vector<store::MessageInfo>& messages, uint32_t uidvalidity)
    : uidvalidity_(uidvalidity) {
  messages_.reserve(messages.size());
  for (const auto& m : messages) {
    messages_.push_back(Message{m.uid, m.size, (m.flags & store::kSeen) != 0});
    total_size_ += m.size;
  }
}

std::variant<size_t, std::string> Maildrop::lookup(std::string_view args, bool then_space,
                                                   std::string_view* rest) const {
  NumberResult parsed = parse_message_number(args, then_space);
  if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
  const auto& n = std::get<ParsedNumber>(parsed);
  if (n.value == 0 || n.value > messages_.size())
    return "-ERR There's no message " + std::to_string(n.value) + ".";
  size_t index = static_cast<size_t>(n.value - 1);
  if (messages_[index].deleted) return std::string("-ERR Message is deleted.");
  if (rest) *rest = n.rest;
  return index;
}

void Maildrop::mark_deleted(size_t index) {
  Message& m = messages_[index];
  if (m.deleted) return;
  m.deleted = true;
  ++deleted_count_;
  deleted_size_ += m.size;
}

void Maildrop::mark_retrieved(size_t index) { messages_[index].retrieved = true; }

void Maildrop::reset() {
  for (auto& m : messages_) m.deleted = m.retrieved = false;
  deleted_count_ = 0;
  deleted_size_ = 0;
}

std::string Maildrop::unique_id(size_t index) const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x%08x", static_cast<unsigned>(messages_[index].uid),
                static_cast<unsigned>(uidvalidity_));
  return buf;
}

std::vector<uint32_t> Maildrop::seen_updates() const {
  std::vector<uint32_t> uids;
  for (const auto& m : messages_)
    if (m.retrieved && !m.seen && !m.deleted) uids.push_back(m.uid);
  return uids;
}

std::vector<uint32_t> Maildrop::deleted_uids() const {
  std::vector<uint32_t> uids;
  for (const auto& m : messages_)
    if (m.deleted) uids.push_back(m.uid);
  return uids;
}

}  // namespace loft::pop3
