#include "imap/fetch_render.h"

#include <algorithm>

#include "imap/dates.h"
#include "imap/fetch_binary.h"
#include "imap/response_writer.h"
#include "mime/imap_strings.h"

namespace loft::imap {
namespace {

constexpr char kEnvelopeNil[] = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
constexpr char kBodyNil[] = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)";
constexpr char kBodyStructureNil[] = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";
constexpr size_t kReadChunk = 1 << 20;

bool IsBuffered(FetchAttr a) {
  switch (a) {
    case FetchAttr::kFlags:
    case FetchAttr::kInternalDate:
    case FetchAttr::kModSeq:
    case FetchAttr::kUid:
    case FetchAttr::kRfc822Size:
      return true;
    default:
      return false;
  }
}

// The bytes a BODY-like section answers, as a range of the file or text.
struct Content {
  bool from_file = false;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string text;
};

std::string ReadRange(const store::MessageFile& f, uint64_t offset, uint64_t size) {
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    std::string piece = f.read(offset + out.size(), std::min<uint64_t>(kReadChunk, size - out.size()));
    if (piece.empty()) break;
    out += piece;
  }
  return out;
}

// The section as BODY[...] answers it (before the partial range).
Content SectionContent(const FetchSection& s, const FetchMessage& m) {
  Content c;
  using Text = FetchSection::Text;
  mime::SectionText what = mime::SectionText::kAll;
  switch (s.text) {
    case Text::kAll:
      what = mime::SectionText::kAll;
      break;
    case Text::kMime:
      what = mime::SectionText::kMime;
      break;
    case Text::kText:
      what = mime::SectionText::kText;
      break;
    case Text::kHeader:
    case Text::kHeaderFields:
    case Text::kHeaderFieldsNot:
      what = mime::SectionText::kHeader;
      break;
  }
  std::optional<mime::ByteRange> r = mime::SectionRange(*m.tree, s.part, what);
  if (!r) return c;
  if (s.text == Text::kHeaderFields || s.text == Text::kHeaderFieldsNot) {
    std::string header = ReadRange(*m.file, r->offset, r->size);
    c.text = mime::FilterHeaderFields(header, s.fields, s.text == Text::kHeaderFieldsNot);
    c.size = c.text.size();
    return c;
  }
  c.from_file = true;
  c.offset = r->offset;
  c.size = std::min<uint64_t>(r->size, m.file->size() > r->offset ? m.file->size() - r->offset : 0);
  return c;
}

void ApplyPartial(Content& c, const std::optional<FetchPartial>& p) {
  if (!p) return;
  if (p->offset >= c.size) {
    c.size = 0;
    c.text.clear();
    return;
  }
  uint64_t left = c.size - p->offset;
  uint64_t len = p->length ? std::min(*p->length, left) : left;
  if (c.from_file) {
    c.offset += p->offset;
  } else {
    c.text = c.text.substr(p->offset, len);
  }
  c.size = len;
}

class Renderer {
 public:
  Renderer(const FetchMessage& m, const FetchRenderOptions& o, FetchRendered& out)
      : m_(m), o_(o), out_(out) {}

  void Run(const std::vector<FetchItem>& items) {
    cur_ = "* " + std::to_string(m_.seq) + " FETCH (";
    for (const FetchItem& item : items)
      if (IsBuffered(item.attr)) Buffered(item);
    if (o_.implicit_flags && m_.sets_seen) {
      Sep();
      cur_ += "FLAGS ";
      AppendFlagList(cur_, m_.flags | store::kSeen, m_.keywords);
    }
    for (const FetchItem& item : items) {
      if (IsBuffered(item.attr)) continue;
      if (!Unbuffered(item)) {
        if (first_) cur_ += "UID " + std::to_string(m_.uid);
        break;
      }
    }
    cur_ += ")\r\n";
    Flush();
  }

 private:
  void Sep() {
    if (!first_) cur_ += ' ';
    first_ = false;
  }
  void Flush() {
    if (cur_.empty()) return;
    out_.materialized += cur_.size();
    FetchSegment s;
    s.text = std::move(cur_);
    out_.segments.push_back(std::move(s));
    cur_.clear();
  }

  void Buffered(const FetchItem& item) {
    Sep();
    switch (item.attr) {
      case FetchAttr::kFlags:
        cur_ += "FLAGS ";
        AppendFlagList(cur_, m_.sets_seen ? (m_.flags | store::kSeen) : m_.flags, m_.keywords);
        break;
      case FetchAttr::kInternalDate:
        cur_ += "INTERNALDATE \"";
        cur_ += m_.info ? FormatImapDateTime(m_.info->internal_date, m_.info->internal_tz)
                        : std::string("01-Jan-1970 00:00:00 +0000");
        cur_ += '"';
        break;
      case FetchAttr::kModSeq:
        cur_ += "MODSEQ (" + std::to_string(m_.modseq) + ")";
        break;
      case FetchAttr::kUid:
        cur_ += "UID " + std::to_string(m_.uid);
        break;
      case FetchAttr::kRfc822Size:
        cur_ += "RFC822.SIZE " + std::to_string(m_.info ? m_.info->size : 0);
        break;
      default:
        break;
    }
  }

  // Name, then the literal of `c` (text or a streamed file range).
  void Literal(const std::string& name, Content& c, bool literal8 = false) {
    Sep();
    cur_ += name;
    cur_ += literal8 ? " ~{" : " {";
    cur_ += std::to_string(c.size);
    cur_ += "}\r\n";
    if (c.from_file && c.size > o_.stream_threshold) {
      Flush();
      FetchSegment s;
      s.file = m_.file;
      s.offset = c.offset;
      s.length = c.size;
      out_.segments.push_back(std::move(s));
      return;
    }
    std::string data = c.from_file ? ReadRange(*m_.file, c.offset, c.size) : std::move(c.text);
    if (!literal8) mime::ReplaceNulsForLiteral(data);
    cur_ += data;
  }

  // False when the item failed (the response ends there).
  bool Unbuffered(const FetchItem& item) {
    if (m_.gone) {
      Sep();
      cur_ += item.name;
      cur_ += ' ';
      switch (item.attr) {
        case FetchAttr::kEnvelope:
          cur_ += kEnvelopeNil;
          break;
        case FetchAttr::kBody:
          cur_ += kBodyNil;
          break;
        case FetchAttr::kBodyStructure:
          cur_ += kBodyStructureNil;
          break;
        case FetchAttr::kBinarySize:
          cur_ += '0';
          break;
        default:
          cur_ += "NIL";
          break;
      }
      return true;
    }
    switch (item.attr) {
      case FetchAttr::kEnvelope:
        Sep();
        cur_ += "ENVELOPE ";
        cur_ += mime::RenderEnvelope(*m_.tree);
        return true;
      case FetchAttr::kBody:
        Sep();
        cur_ += "BODY ";
        cur_ += mime::RenderBodyStructure(*m_.tree, false);
        return true;
      case FetchAttr::kBodyStructure:
        Sep();
        cur_ += "BODYSTRUCTURE ";
        cur_ += mime::RenderBodyStructure(*m_.tree, true);
        return true;
      case FetchAttr::kRfc822:
      case FetchAttr::kRfc822Header:
      case FetchAttr::kRfc822Text: {
        FetchSection s;
        s.text = item.attr == FetchAttr::kRfc822         ? FetchSection::Text::kAll
                 : item.attr == FetchAttr::kRfc822Header ? FetchSection::Text::kHeader
                                                         : FetchSection::Text::kText;
        Content c = SectionContent(s, m_);
        Literal(item.name, c);
        return true;
      }
      case FetchAttr::kBodySection: {
        Content c = SectionContent(item.section, m_);
        ApplyPartial(c, item.partial);
        Literal(item.name, c);
        return true;
      }
      case FetchAttr::kBinarySection:
      case FetchAttr::kBinarySize:
        return Binary(item);
      default:
        return true;
    }
  }

  // Which part a decoding BINARY section covers; nullopt: not a decoding
  // section (answered like BODY); kNoPart: the part does not exist.
  std::optional<uint32_t> DecodedPart(const FetchSection& s, bool* include_header) const {
    using Text = FetchSection::Text;
    *include_header = false;
    if (s.text == Text::kAll) {
      *include_header = s.part.empty();
      return mime::FindSectionPart(*m_.tree, s.part).value_or(mime::kNoPart);
    }
    if (s.text == Text::kText) {
      if (s.part.empty()) return 0u;
      std::optional<uint32_t> p = mime::FindSectionPart(*m_.tree, s.part);
      if (!p || !m_.tree->part(*p).is(mime::kPartMessageRfc822) ||
          m_.tree->part(*p).first_child == mime::kNoPart)
        return mime::kNoPart;
      return m_.tree->part(*p).first_child;
    }
    return std::nullopt;
  }

  const std::string& Whole() {
    if (!whole_) whole_ = ReadAll(*m_.file);
    return *whole_;
  }

  bool Binary(const FetchItem& item) {
    bool include_header = false;
    std::optional<uint32_t> part = DecodedPart(item.section, &include_header);
    if (item.attr == FetchAttr::kBinarySize) {
      uint64_t size = 0;
      if (!part) {
        size = SectionContent(item.section, m_).size;
      } else if (*part != mime::kNoPart) {
        BinarySize b = BinaryPartSize(*m_.tree, *part, include_header, Whole());
        if (b.error != BinaryError::kNone) return Fail(b.error);
        size = b.size;
      }
      Sep();
      cur_ += item.name + " " + std::to_string(size);
      return true;
    }
    if (!part) {
      Content c = SectionContent(item.section, m_);
      ApplyPartial(c, item.partial);
      Literal(item.name, c);
      return true;
    }
    Content c;
    bool literal8 = false;
    if (*part != mime::kNoPart) {
      BinaryContent b = BinaryPart(*m_.tree, *part, include_header, Whole());
      if (b.error != BinaryError::kNone) return Fail(b.error);
      c.text = std::move(b.data);
      c.size = c.text.size();
      literal8 = b.literal8;
    }
    ApplyPartial(c, item.partial);
    out_.materialized += c.size;
    Literal(item.name, c, literal8);
    return true;
  }

  bool Fail(BinaryError e) {
    out_.failure = e == BinaryError::kUnknownCte ? FetchFailure::kUnknownCte : FetchFailure::kInvalidData;
    return false;
  }

  const FetchMessage& m_;
  const FetchRenderOptions& o_;
  FetchRendered& out_;
  std::string cur_;
  bool first_ = true;
  std::optional<std::string> whole_;
};

}  // namespace

std::string ReadAll(const store::MessageFile& file) { return ReadRange(file, 0, file.size()); }

FetchRendered RenderFetchMessage(const std::vector<FetchItem>& items, const FetchMessage& m,
                                 const FetchRenderOptions& options) {
  FetchRendered out;
  Renderer(m, options, out).Run(items);
  return out;
}

}  // namespace loft::imap
