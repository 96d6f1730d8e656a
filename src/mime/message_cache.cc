// Message::Serialize / Deserialize: the tree as one flat byte string for the
// store's cache. The tables are plain structs, written as they are in memory
// (the cache never leaves this host) behind a small header; Deserialize checks
// every index so a corrupt cache entry is rejected, never trusted.

#include <cstring>
#include <type_traits>

#include "mime/message.h"

namespace loft::mime {
namespace {

constexpr char kMagic[4] = {'L', 'M', 'T', '2'};  // 2: Part without implicit padding
// ParseMessage never nests deeper than ParseLimits::max_depth allows; anything
// much deeper in a cache entry is corruption.
constexpr uint16_t kMaxCachedDepth = 1000;

static_assert(std::is_trivially_copyable_v<Part>);
static_assert(std::is_trivially_copyable_v<Envelope>);
static_assert(std::is_trivially_copyable_v<Param>);
static_assert(std::is_trivially_copyable_v<Address>);
static_assert(std::is_trivially_copyable_v<TextRef>);
// No padding anywhere: every byte written is a member's byte.
static_assert(std::has_unique_object_representations_v<Part>);
static_assert(std::has_unique_object_representations_v<Envelope>);
static_assert(std::has_unique_object_representations_v<Param>);
static_assert(std::has_unique_object_representations_v<Address>);
static_assert(std::has_unique_object_representations_v<TextRef>);

template <typename T>
void PutTable(std::string& out, const std::vector<T>& v) {
  uint64_t n = v.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  if (n != 0) out.append(reinterpret_cast<const char*>(v.data()), n * sizeof(T));
}

template <typename T>
bool GetTable(std::string_view& in, std::vector<T>& v) {
  uint64_t n;
  if (in.size() < sizeof n) return false;
  std::memcpy(&n, in.data(), sizeof n);
  in.remove_prefix(sizeof n);
  if (n > in.size() / sizeof(T)) return false;
  v.resize(n);
  if (n != 0) std::memcpy(v.data(), in.data(), n * sizeof(T));
  in.remove_prefix(n * sizeof(T));
  return true;
}

}  // namespace

size_t Message::memory_size() const {
  return sizeof(*this) + parts_.capacity() * sizeof(Part) + envelopes_.capacity() * sizeof(Envelope) +
         params_.capacity() * sizeof(Param) + addresses_.capacity() * sizeof(Address) +
         strings_.capacity() * sizeof(TextRef) + text_.capacity();
}

std::string Message::Serialize() const {
  std::string out(kMagic, sizeof kMagic);
  PutTable(out, parts_);
  PutTable(out, envelopes_);
  PutTable(out, params_);
  PutTable(out, addresses_);
  PutTable(out, strings_);
  uint64_t n = text_.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(text_);
  return out;
}

std::optional<Message> Message::Deserialize(std::string_view in) {
  if (in.size() < sizeof kMagic || std::memcmp(in.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
  in.remove_prefix(sizeof kMagic);
  Message m;
  if (!GetTable(in, m.parts_) || !GetTable(in, m.envelopes_) || !GetTable(in, m.params_) ||
      !GetTable(in, m.addresses_) || !GetTable(in, m.strings_)) {
    return std::nullopt;
  }
  uint64_t n;
  if (in.size() < sizeof n) return std::nullopt;
  std::memcpy(&n, in.data(), sizeof n);
  in.remove_prefix(sizeof n);
  if (n != in.size()) return std::nullopt;
  m.text_.assign(in.data(), n);

  // Validate every reference so that renderers can index without checks.
  auto text_ok = [&](TextRef r) {
    return !r.present() || (r.offset <= m.text_.size() && r.size <= m.text_.size() - r.offset);
  };
  auto range_ok = [](Range r, size_t table) { return r.first <= table && r.count <= table - r.first; };
  auto part_ok = [&](uint32_t i) { return i == kNoPart || i < m.parts_.size(); };
  if (m.parts_.empty() || m.envelopes_.empty()) return std::nullopt;
  for (size_t i = 0; i < m.parts_.size(); ++i) {
    const Part& p = m.parts_[i];
    // Children always come after their parent, so links cannot form cycles.
    if (!part_ok(p.parent) || !part_ok(p.first_child) || !part_ok(p.next_sibling)) return std::nullopt;
    if ((i == 0) != (p.parent == kNoPart)) return std::nullopt;
    if ((p.parent != kNoPart && p.parent >= i) || (p.first_child != kNoPart && p.first_child <= i) ||
        (p.next_sibling != kNoPart && p.next_sibling <= i)) {
      return std::nullopt;
    }
    if (p.header_offset > p.body_offset || p.body_offset > p.end_offset) return std::nullopt;
    // Depth drives recursion when rendering: it must be the real depth.
    if (p.parent != kNoPart ? p.depth != m.parts_[p.parent].depth + 1 : p.depth != 0) return std::nullopt;
    if (p.depth > kMaxCachedDepth) return std::nullopt;
    for (TextRef r : {p.type, p.subtype, p.transfer_encoding, p.id, p.description, p.md5, p.location,
                      p.disposition}) {
      if (!text_ok(r)) return std::nullopt;
    }
    if (!range_ok(p.type_params, m.params_.size()) || !range_ok(p.disposition_params, m.params_.size()) ||
        !range_ok(p.languages, m.strings_.size())) {
      return std::nullopt;
    }
    if (p.envelope != kNoPart && p.envelope >= m.envelopes_.size()) return std::nullopt;
  }
  for (const Envelope& e : m.envelopes_) {
    for (TextRef r : {e.date, e.subject, e.in_reply_to, e.message_id}) {
      if (!text_ok(r)) return std::nullopt;
    }
    for (Range r : {e.from, e.sender, e.reply_to, e.to, e.cc, e.bcc}) {
      if (!range_ok(r, m.addresses_.size())) return std::nullopt;
    }
  }
  for (const Param& p : m.params_) {
    if (!text_ok(p.name) || !text_ok(p.value)) return std::nullopt;
  }
  for (const Address& a : m.addresses_) {
    for (TextRef r : {a.name, a.route, a.mailbox, a.domain}) {
      if (!text_ok(r)) return std::nullopt;
    }
  }
  for (TextRef r : m.strings_) {
    if (!text_ok(r)) return std::nullopt;
  }
  return m;
}

}  // namespace loft::mime
