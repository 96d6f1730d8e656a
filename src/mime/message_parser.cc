// ParseMessage(): builds the MIME tree of an in-memory message.
//
// The state machine mirrors Dovecot 2.3's message-parser.c so the resulting
// sizes, line counts and part boundaries are identical to Dovecot's:
//  - a part's header ends at the blank line, at EOF, or at any line that is a
//    boundary of an enclosing multipart; in the last case the line end before
//    the boundary is moved to the parent's body;
//  - a multipart's own boundary is registered when its blank line is seen;
//  - a boundary line is "--" + the longest open boundary that prefixes the
//    line (most recent first on ties); "--" after it closes the multipart and
//    forgets the boundaries opened inside; the line end before "--" belongs
//    to the boundary, not to the part before it;
//  - nesting stops at max_depth and boundary matching at max_parts.
// Sizes are accumulated exactly like Dovecot's message_size sums (a closed
// part's header and body are added to its parent's body), which matters for
// the odd cases above. Everything is iterative: no recursion on input depth.

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "mime/content_fields.h"
#include "mime/header.h"
#include "mime/message.h"
#include "mime/tree_builder.h"

namespace loft::mime {
namespace {

struct Size {
  uint64_t phys = 0;
  uint64_t virt = 0;
  uint32_t lines = 0;
  void Add(const Size& o) {
    phys += o.phys;
    virt += o.virt;
    lines += o.lines;
  }
};

struct OpenBoundary {
  std::string text;
  uint32_t part;
};

// Per-part state used only while parsing.
struct WorkPart {
  Size header, body;
  uint32_t last_child = kNoPart;
};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a += 'a' - 'A';
    if (b >= 'A' && b <= 'Z') b += 'a' - 'A';
    if (a != b) return false;
  }
  return true;
}

bool EqualsNoCase(std::string_view s, std::string_view t) { return s.size() == t.size() && StartsWithNoCase(s, t); }

class MessageParser {
 public:
  MessageParser(std::string_view data, const ParseLimits& limits, Message& msg)
      : data_(data), limits_(limits), builder_(msg) {}

  void Run();

 private:
  enum class State { kHeader, kBodyToBoundary, kBodyToEof, kDone };

  Part& PartAt(uint32_t i) { return builder_.parts()[i]; }
  uint32_t NewPart(uint32_t parent);
  bool TooDeep(uint32_t part) { return PartAt(part).depth + 1u >= limits_.max_depth; }
  bool TooManyParts() const { return total_parts_ >= limits_.max_parts; }

  Size Measure(size_t from, size_t to) const;
  void CloseInto(uint32_t part) {
    uint32_t parent = PartAt(part).parent;
    work_[parent].body.Add(work_[part].header);
    work_[parent].body.Add(work_[part].body);
  }

  int FindBoundary(size_t line);
  State ParseHeader();
  State ScanBodyToBoundary();
  State FinishAtBoundary(int b, size_t boundary_start, size_t line, bool first_line);
  void FinishAll();
  void StoreSizes();

  std::string_view data_;
  const ParseLimits& limits_;
  TreeBuilder builder_;
  std::vector<WorkPart> work_;
  std::vector<OpenBoundary> boundaries_;  // most recent last
  uint32_t cur_ = 0;
  size_t pos_ = 0;
  uint32_t total_parts_ = 0;
  bool epilogue_found_ = false;  // set by FindBoundary
};

uint32_t MessageParser::NewPart(uint32_t parent) {
  Part part;
  part.parent = parent;
  if (parent != kNoPart) {
    const Part& p = PartAt(parent);
    part.depth = static_cast<uint16_t>(p.depth + 1);
    part.header_offset = p.header_offset + work_[parent].header.phys + work_[parent].body.phys;
  }
  std::vector<Part>& parts = builder_.parts();
  parts.push_back(part);
  work_.emplace_back();
  ++total_parts_;
  uint32_t index = static_cast<uint32_t>(parts.size() - 1);
  if (parent != kNoPart) {
    uint32_t last = work_[parent].last_child;
    if (last == kNoPart) {
      parts[parent].first_child = index;
    } else {
      parts[last].next_sibling = index;
    }
    work_[parent].last_child = index;
  }
  return index;
}

// Octets, IMAP octets (a LF without CR counts as CRLF) and LFs of a range.
Size MessageParser::Measure(size_t from, size_t to) const {
  Size s;
  s.phys = to - from;
  s.virt = s.phys;
  const char* base = data_.data();
  const char* p = base + from;
  const char* end = base + to;
  while (p < end) {
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (lf == nullptr) break;
    ++s.lines;
    if (lf == base || lf[-1] != '\r') ++s.virt;
    p = lf + 1;
  }
  return s;
}

// The line at `line` is a boundary when it is "--" followed by an open
// boundary; the longest such boundary wins, the most recent one on ties.
int MessageParser::FindBoundary(size_t line) {
  if (data_.size() - line < 2 || data_[line] != '-' || data_[line + 1] != '-') return -1;
  if (TooManyParts()) {
    // Like Dovecot: past the part limit no boundary is recognised any more.
    PartAt(cur_).flags |= kPartOverflow;
    return -1;
  }
  std::string_view rest = data_.substr(line + 2);
  int best = -1;
  size_t best_len = 0;
  for (int i = static_cast<int>(boundaries_.size()) - 1; i >= 0; --i) {
    const std::string& b = boundaries_[i].text;
    if (b.size() <= rest.size() && std::memcmp(b.data(), rest.data(), b.size()) == 0 &&
        (best < 0 || best_len < b.size())) {
      best = i;
      best_len = b.size();
    }
  }
  if (best >= 0) {
    epilogue_found_ = rest.size() >= best_len + 2 && rest[best_len] == '-' && rest[best_len + 1] == '-';
  }
  return best;
}

MessageParser::State MessageParser::ParseHeader() {
  const uint32_t part = cur_;
  const bool want_envelope = part == 0 || PartAt(PartAt(part).parent).is(kPartMessageRfc822);
  uint16_t flags = PartAt(part).flags;
  bool seen_content_type = false;
  bool has_boundary = false;
  std::string boundary;
  bool multipart_started = false;
  ContentFields content;
  EnvelopeFields envelope;

  const size_t start = pos_;
  size_t pos = pos_;
  size_t header_end;       // end of the header as first measured
  size_t moved_newline = 0;  // line end given to the parent (header ended by a boundary)
  int cut_boundary = -1;
  size_t prev_newline = 0;
  for (;;) {
    if (has_boundary && (flags & kPartIsMime) != 0 && pos < data_.size() &&
        (data_[pos] == '\n' || (data_[pos] == '\r' && pos + 1 < data_.size() && data_[pos + 1] == '\n'))) {
      // Register our boundary before reading the blank line, so that a
      // following "--boundary" sharing a prefix with an outer one is ours.
      if (!TooDeep(part)) {
        boundaries_.push_back({std::move(boundary), part});
        multipart_started = true;
      } else {
        flags &= ~kPartMultipart;
      }
      has_boundary = false;
    }
    if (!boundaries_.empty()) {
      int b = FindBoundary(pos);
      if (b >= 0 && boundaries_[b].part != part) {
        cut_boundary = b;
        header_end = pos;
        moved_newline = prev_newline;
        break;
      }
    }
    HeaderField field;
    size_t next;
    HeaderStep step = ReadHeaderField(data_, pos, field, next);
    if (step == HeaderStep::kEnd) {
      header_end = pos;
      break;
    }
    if (step == HeaderStep::kBlankLine) {
      header_end = next;
      // Dovecot checks the line after the blank line for a boundary too; an
      // enclosing boundary there moves the blank line to the parent.
      if (!boundaries_.empty()) {
        int b = FindBoundary(next);
        if (b >= 0 && boundaries_[b].part != part) {
          cut_boundary = b;
          moved_newline = next - pos;
        }
      }
      pos = next;
      break;
    }
    std::string_view name = field.Name(data_);
    if (HeaderNameEquals(name, "Mime-Version")) {
      flags |= kPartIsMime;
    } else if (HeaderNameEquals(name, "Content-Type")) {
      flags |= kPartIsMime;
      if (!seen_content_type) {
        seen_content_type = true;
        ContentTypeInfo info = ParseContentTypeForParser(FullValue(data_, field), true);
        const std::string& ts = info.type_subtype;
        if (EqualsNoCase(ts, "message/rfc822") ||
            (limits_.nest_message_global && EqualsNoCase(ts, "message/global"))) {
          flags |= kPartMessageRfc822;
        } else if (StartsWithNoCase(ts, "text") && (ts.size() == 4 || ts[4] == '/')) {
          flags |= kPartText;
        } else if (StartsWithNoCase(ts, "multipart/")) {
          flags |= kPartMultipart;
          if (EqualsNoCase(std::string_view(ts).substr(10), "digest")) flags |= kPartDigest;
        }
        if (info.ok && (flags & kPartMultipart) != 0 && info.has_boundary) {
          has_boundary = true;
          boundary = std::move(info.boundary);
        }
      }
    }
    const bool is_content = StartsWithNoCase(name, "Content-");
    if (is_content || want_envelope) {
      std::string full = FullValue(data_, field);
      if (is_content) AddContentField(content, name, full);
      if (want_envelope) AddEnvelopeField(envelope, name, full);
    }
    size_t field_end = field.offset + field.size;
    prev_newline = 0;
    if (field_end > 0 && data_[field_end - 1] == '\n') {
      prev_newline = (field_end > 1 && data_[field_end - 2] == '\r') ? 2 : 1;
    }
    pos = next;
  }

  // Header size; a line end taken by a following boundary goes to the parent.
  WorkPart& w = work_[part];
  w.header = Measure(start, header_end);
  if (cut_boundary >= 0 && moved_newline > 0 && PartAt(part).parent != kNoPart) {
    size_t nl_start = header_end - moved_newline;
    Size nl = Measure(nl_start, header_end);
    w.header.phys -= nl.phys;
    w.header.virt -= nl.virt;
    w.header.lines -= nl.lines;
    work_[PartAt(part).parent].body.Add(nl);
  }
  if (cut_boundary >= 0) pos = header_end;  // the boundary line starts the body scan
  pos_ = pos;

  // End of header: decide what the part is.
  if ((flags & kPartIsMime) == 0) {
    flags = 0;
    content = ContentFields();  // without MIME-Version/Content-Type, Content-* means nothing
  }
  if (!seen_content_type || (flags & kPartIsMime) == 0) {
    uint32_t parent = PartAt(part).parent;
    if (parent != kNoPart && PartAt(parent).is(kPartDigest)) {
      flags |= kPartMessageRfc822;
    } else {
      flags |= kPartText;
    }
  }
  Part& p = PartAt(part);
  p.flags = flags;
  builder_.SetContent(p, content);
  if (want_envelope) {
    uint32_t env = builder_.AddEnvelope(envelope);
    PartAt(part).envelope = env;
  }

  if (multipart_started) return State::kBodyToBoundary;
  if ((flags & kPartMessageRfc822) != 0 && !TooDeep(part) && !TooManyParts()) {
    cur_ = NewPart(part);
    return State::kHeader;
  }
  PartAt(part).flags &= ~kPartMessageRfc822;
  return boundaries_.empty() ? State::kBodyToEof : State::kBodyToBoundary;
}

MessageParser::State MessageParser::ScanBodyToBoundary() {
  const size_t scan_start = pos_;
  // The first line right after a header or a boundary line may itself be a
  // boundary; its line end then already belongs to what came before.
  int b = FindBoundary(scan_start);
  if (b >= 0) return FinishAtBoundary(b, scan_start, scan_start, true);
  size_t p = scan_start;
  for (;;) {
    const char* lf = static_cast<const char*>(std::memchr(data_.data() + p, '\n', data_.size() - p));
    if (lf == nullptr) break;
    size_t nl = lf - data_.data();
    size_t line = nl + 1;
    if (line + 2 <= data_.size() && data_[line] == '-' && data_[line + 1] == '-') {
      b = FindBoundary(line);
      if (b >= 0) {
        size_t boundary_start = (nl > scan_start && data_[nl - 1] == '\r') ? nl - 1 : nl;
        work_[cur_].body.Add(Measure(scan_start, boundary_start));
        return FinishAtBoundary(b, boundary_start, line, false);
      }
    }
    p = line;
  }
  work_[cur_].body.Add(Measure(scan_start, data_.size()));
  pos_ = data_.size();
  FinishAll();
  return State::kDone;
}

MessageParser::State MessageParser::FinishAtBoundary(int b, size_t boundary_start, size_t line,
                                                     bool first_line) {
  const bool epilogue = epilogue_found_;
  const uint32_t owner = boundaries_[b].part;
  const size_t len = boundaries_[b].text.size();
  for (uint32_t part = cur_; part != owner; part = PartAt(part).parent) CloseInto(part);
  cur_ = owner;
  // A closing boundary forgets itself and everything opened inside it; an
  // opening one forgets only what was opened inside (and never closed).
  boundaries_.resize(epilogue ? b : b + 1);

  // The boundary line, with the line end before it, is part of the owner's body.
  size_t from = first_line ? line : boundary_start;
  size_t to = line + 2 + len + (epilogue ? 2 : 0);
  work_[owner].body.Add(Measure(from, to));
  const char* lf = static_cast<const char*>(std::memchr(data_.data() + to, '\n', data_.size() - to));
  size_t after = lf == nullptr ? data_.size() : static_cast<size_t>(lf - data_.data()) + 1;
  work_[owner].body.Add(Measure(to, after));
  pos_ = after;
  if (lf == nullptr) {
    FinishAll();
    return State::kDone;
  }
  if (boundaries_.empty() || boundaries_.back().part != owner) {
    // Epilogue: text after the closing boundary.
    return boundaries_.empty() ? State::kBodyToEof : State::kBodyToBoundary;
  }
  cur_ = NewPart(owner);
  PartAt(cur_).flags |= kPartIsMime;  // parts of a multipart are MIME by definition
  return State::kHeader;
}

void MessageParser::FinishAll() {
  for (uint32_t part = cur_; part != 0; part = PartAt(part).parent) CloseInto(part);
  cur_ = 0;
}

void MessageParser::StoreSizes() {
  std::vector<Part>& parts = builder_.parts();
  // NUL positions, to flag every part whose bytes hold one (IMAP literals
  // cannot carry NULs, so the protocol layer needs to know).
  std::vector<size_t> nuls;
  // (An empty message may have no buffer at all: memchr must not see null.)
  for (const char* p = data_.data(); !data_.empty() && (p = static_cast<const char*>(
                                          std::memchr(p, '\0', data_.data() + data_.size() - p))) != nullptr;
       ++p) {
    nuls.push_back(p - data_.data());
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    Part& p = parts[i];
    const WorkPart& w = work_[i];
    p.body_offset = p.header_offset + w.header.phys;
    p.end_offset = p.body_offset + w.body.phys;
    p.header_vsize = w.header.virt;
    p.body_vsize = w.body.virt;
    p.header_lines = w.header.lines;
    p.body_lines = w.body.lines;
    auto nul = std::lower_bound(nuls.begin(), nuls.end(), p.header_offset);
    if (nul != nuls.end() && *nul < p.end_offset) p.flags |= kPartHasNuls;
  }
}

void MessageParser::Run() {
  cur_ = NewPart(kNoPart);
  State state = State::kHeader;
  while (state != State::kDone) {
    switch (state) {
      case State::kHeader:
        state = ParseHeader();
        break;
      case State::kBodyToBoundary:
        state = ScanBodyToBoundary();
        break;
      case State::kBodyToEof:
        work_[cur_].body.Add(Measure(pos_, data_.size()));
        pos_ = data_.size();
        FinishAll();
        state = State::kDone;
        break;
      case State::kDone:
        break;
    }
  }
  StoreSizes();
}

}  // namespace

Message ParseMessage(std::string_view data, const ParseLimits& limits) {
  Message msg;
  MessageParser(data, limits, msg).Run();
  return msg;
}

}  // namespace loft::mime
