// Reads the Dovecot answer fixtures written by data/gen_dovecot_fixture.py and
// renders the same items with Loft, for the comparison tests.
#pragma once

#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mime/imap_strings.h"
#include "mime/message.h"

namespace loft::mime::testing {

struct FixtureValue {
  bool missing = false;       // the server did not return the item
  bool abbreviated = false;   // only the first and last 2000 bytes are kept
  size_t full_size = 0;
  std::string bytes;
};

struct FixtureRecord {
  std::string file;
  std::map<std::string, FixtureValue> items;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<FixtureRecord> ReadFixture(const std::string& path) {
  std::string data = ReadFile(path);
  std::vector<FixtureRecord> out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t eol = data.find('\n', pos);
    if (eol == std::string::npos) break;
    std::string line = data.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.rfind("== ", 0) == 0) {
      out.push_back({line.substr(3), {}});
      continue;
    }
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos || out.empty()) break;
    std::string key = line.substr(0, sp);
    std::string len = line.substr(sp + 1);
    FixtureValue v;
    if (len == "-1") {
      v.missing = true;
    } else {
      size_t n;
      if (len[0] == '~') {
        v.abbreviated = true;
        v.full_size = std::stoul(len.substr(1));
        n = 4000;
      } else {
        n = std::stoul(len);
        v.full_size = n;
      }
      v.bytes = data.substr(pos, n);
      pos += n + 1;
    }
    out.back().items[key] = std::move(v);
  }
  return out;
}

// What imapdiff.py and the fixture generator APPEND: a leading mbox "From "
// line dropped and every line end made CRLF (as Loft's store keeps mail).
inline std::string NormaliseLikeAppend(std::string data) {
  if (data.rfind("From ", 0) == 0) {
    size_t lf = data.find('\n');
    data = lf == std::string::npos ? std::string() : data.substr(lf + 1);
  }
  std::string out;
  out.reserve(data.size() + data.size() / 32);
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) out += '\r';
    out += data[i];
  }
  return out;
}

// Loft's rendering of one fixture item: ENVELOPE, BODY, BODYSTRUCTURE or a
// BODY[section]<0> as the fixture generator fetched it (see ITEMS there).
inline std::optional<std::string> RenderItem(const Message& msg, std::string_view data, const std::string& key) {
  if (key == "ENVELOPE") return RenderEnvelope(msg);
  if (key == "BODYSTRUCTURE") return RenderBodyStructure(msg, true);
  if (key == "BODY") return RenderBodyStructure(msg, false);
  auto literal = [](std::string s) {
    ReplaceNulsForLiteral(s);
    return "{" + std::to_string(s.size()) + "}\r\n" + s;
  };
  if (key.rfind("BODY[", 0) != 0) return std::nullopt;
  size_t close = key.find(']');
  std::string spec = key.substr(5, close - 5);
  // Partial fetches as requested by the generator: <0.40>, HEADER <0.60>.
  size_t partial = std::string::npos;
  if (key.size() > close + 1) partial = spec.find("HEADER") != std::string::npos ? 60 : 40;
  std::vector<std::string> fields;
  bool fields_not = false;
  size_t fpos = spec.find("HEADER.FIELDS");
  if (fpos != std::string::npos) {
    fields_not = spec.compare(fpos, 17, "HEADER.FIELDS.NOT") == 0;
    size_t open = spec.find('(', fpos), end = spec.find(')', fpos);
    std::string list = spec.substr(open + 1, end - open - 1);
    for (size_t p = 0; p <= list.size();) {
      size_t sp = list.find(' ', p);
      if (sp == std::string::npos) sp = list.size();
      if (sp > p) fields.push_back(list.substr(p, sp - p));
      p = sp + 1;
    }
    spec = spec.substr(0, fpos) + "HEADER";
  }
  // Split "1.2.MIME" into the part number and the text specifier.
  std::string part = spec, text;
  size_t i = 0;
  while (i < spec.size() && (isdigit(static_cast<unsigned char>(spec[i])) || spec[i] == '.')) ++i;
  if (i < spec.size()) {
    part = spec.substr(0, i ? i - 1 : 0);
    text = spec.substr(i);
  }
  SectionText what = text == "MIME" ? SectionText::kMime
                     : text == "HEADER" ? SectionText::kHeader
                     : text == "TEXT" ? SectionText::kText
                                      : SectionText::kAll;
  std::optional<ByteRange> r = SectionRange(msg, part, what);
  if (!r) return literal("");  // Dovecot sends an empty literal for a missing part
  std::string bytes(data.substr(r->offset, r->size));
  if (fpos != std::string::npos) bytes = FilterHeaderFields(bytes, fields, fields_not);
  if (partial != std::string::npos && bytes.size() > partial) bytes.resize(partial);
  return literal(bytes);
}

inline bool Matches(const FixtureValue& want, const std::string& got) {
  if (!want.abbreviated) return want.bytes == got;
  return got.size() == want.full_size && got.compare(0, 2000, want.bytes, 0, 2000) == 0 &&
         got.compare(got.size() - 2000, 2000, want.bytes, 2000, 2000) == 0;
}

}  // namespace loft::mime::testing
