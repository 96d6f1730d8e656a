#include "mime/search_text.h"

#include <algorithm>

#include "mime/address_parser.h"
#include "mime/casemap.h"
#include "mime/decode.h"
#include "mime/mime_params.h"
#include "mime/rfc822_tokenizer.h"
#include "util/ascii.h"

namespace loft::mime {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && util::equals_ignore_case(s.substr(0, prefix.size()), prefix);
}

// Dovecot's IS_ESCAPED_CHAR.
bool NeedsEscape(char c) { return c == '"' || c == '\\' || c == '\''; }

// str_append_maybe_escape() of message-address.c: as is when every byte is
// atext (or '.', unless escape_dot), else quoted, with '"', '\\' and '\''
// escaped.
void AppendMaybeEscaped(std::string& out, std::string_view s, bool escape_dot) {
  bool plain = std::all_of(s.begin(), s.end(), [&](char c) {
    return IsAtext(static_cast<unsigned char>(c)) || (!escape_dot && c == '.');
  });
  if (plain) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (NeedsEscape(c)) out += '\\';
    out += c;
  }
  out += '"';
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Which part bodies are searched, and how to decode them: the part's own
// Content-Type and Content-Transfer-Encoding (the last of each wins, as the
// fields stream past Dovecot's decoder), whether or not the part is MIME.
struct PartContent {
  bool text_like = true;  // text/*, message/* or no Content-Type
  std::string charset;    // empty: none given
  std::string encoding;   // lower case, empty: none
  // A Content-Transfer-Encoding other than 7bit, 8bit, binary, base64 and
  // quoted-printable: Dovecot's decoder skips such a body.
  bool unknown_encoding = false;
};

void ReadContentType(std::string_view value, PartContent& pc) {
  Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string type;
  (void)tok.ParseContentType(type);
  pc.text_like = StartsWithNoCase(type, "text/") || StartsWithNoCase(type, "message/");
  pc.charset.clear();
  std::vector<MimeParam> params;
  ParseMimeParams(tok, params);
  for (const MimeParam& p : params) {
    if (util::equals_ignore_case(p.name, "charset")) {
      pc.charset = p.value;
      break;
    }
  }
}

void ReadTransferEncoding(std::string_view value, PartContent& pc) {
  Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string token;
  (void)tok.ParseMimeToken(token);
  pc.encoding = util::ascii_lowercase(token);
  pc.unknown_encoding = pc.encoding != "7bit" && pc.encoding != "8bit" && pc.encoding != "binary" &&
                        pc.encoding != "base64" && pc.encoding != "quoted-printable";
}

std::string ToUtf8(std::string_view charset, std::string_view in) {
  if (!charset.empty() && !util::equals_ignore_case(charset, "utf-8") &&
      !util::equals_ignore_case(charset, "utf8")) {
    std::optional<CharsetToUtf8> conv = CharsetToUtf8::Open(charset);
    if (conv) {
      std::string out;
      conv->Feed(in, out);
      conv->Finish(out);
      return out;
    }
  }
  return SanitizeUtf8(in);  // no charset or an unknown one: UTF-8, like Dovecot
}

}  // namespace

// RFC 2047 decoding of a header value; bytes outside encoded-words that are
// not UTF-8 become U+FFFD (Dovecot does not guess a charset for raw 8-bit
// headers, so "Fr\xf6sche" is not found by "Frösche").
// (Raw bytes inside an encoded-word belong to its charset and stay.)
std::string DecodeSearchHeaderText(std::string_view value) {
  std::string cleaned;
  cleaned.reserve(value.size());
  size_t plain = 0;  // start of text not yet copied
  size_t i = 0;
  while (i + 1 < value.size()) {
    if (value[i] != '=' || value[i + 1] != '?') {
      ++i;
      continue;
    }
    // =?charset?B|Q?text?= with no blanks inside.
    size_t q1 = value.find('?', i + 2);
    size_t end = std::string_view::npos;
    if (q1 != std::string_view::npos && q1 + 2 < value.size() && value[q1 + 2] == '?') {
      end = value.find("?=", q1 + 3);
      if (end != std::string_view::npos) {
        std::string_view word = value.substr(i, end + 2 - i);
        if (word.find_first_of(" \t\r\n") != std::string_view::npos) end = std::string_view::npos;
      }
    }
    if (end == std::string_view::npos) {
      i += 2;
      continue;
    }
    cleaned += SanitizeUtf8(value.substr(plain, i - plain));
    cleaned.append(value.substr(i, end + 2 - i));
    i = plain = end + 2;
  }
  cleaned += SanitizeUtf8(value.substr(plain));
  return DecodeEncodedWords(cleaned);
}


std::string SearchHeaderValue(std::string_view data, const HeaderField& field) {
  std::string full = FullValue(data, field);  // continuation lines joined with '\n'
  std::string out;
  out.reserve(full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    if (full[i] != '\n') {
      out += full[i];
      continue;
    }
    if (i + 1 < full.size() && full[i + 1] == '\t') {
      out += ' ';
      ++i;
    }
  }
  return out;
}

std::string WriteAddressesForSearch(std::string_view value) {
  std::vector<ParsedAddress> addrs = ParseAddressList(value);
  std::string out;
  if (addrs.empty()) return out;
  if (!addrs.front().mailbox && !addrs.front().domain && addrs.size() == 1) return "<>";
  bool first = true, in_group = false;
  for (const ParsedAddress& a : addrs) {
    if (first) {
      first = false;
    } else {
      out += ", ";
    }
    if (!a.domain) {
      if (!in_group) {
        // Start of a group: the mailbox is its name.
        if (a.mailbox && !a.mailbox->empty()) {
          if (Contains(*a.mailbox, "=?"))
            out += *a.mailbox;
          else
            AppendMaybeEscaped(out, *a.mailbox, true);
        } else {
          out += "\"\"";
        }
        out += ": ";
        first = true;
      } else {
        // End of a group: drop the ", " (or the blank after ':').
        if (out.size() >= 2 && out.compare(out.size() - 2, 2, ", ") == 0)
          out.resize(out.size() - 2);
        else if (out.size() >= 2 && out.compare(out.size() - 2, 2, ": ") == 0)
          out.resize(out.size() - 1);
        out += ';';
      }
      in_group = !in_group;
      continue;
    }
    const std::string mailbox = a.mailbox.value_or("");
    if (a.name) {
      if (Contains(*a.name, "=?"))
        out += *a.name;
      else
        AppendMaybeEscaped(out, *a.name, true);
    }
    if (a.route || !mailbox.empty() || !a.domain->empty()) {
      if (a.name && !a.name->empty()) out += ' ';
      out += '<';
      if (a.route) out.append(*a.route).append(":");
      if (mailbox.empty())
        out += "\"\"";
      else
        AppendMaybeEscaped(out, mailbox, false);
      if (!a.domain->empty()) out.append("@").append(*a.domain);
      out += '>';
    }
  }
  return out;
}

std::string CompressBlanks(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool prev_blank = true;
  for (char c : value) {
    if (IsBlank(c)) {
      if (!prev_blank) out += ' ';
      prev_blank = true;
    } else {
      out += c;
      prev_blank = false;
    }
  }
  return out;
}

const HeaderBlock& SearchText::TopHeader() {
  if (!top_header_) {
    uint64_t end = std::min<uint64_t>(tree_.root().body_offset, data_.size());
    top_header_ = SplitHeader(data_.substr(0, end));
  }
  return *top_header_;
}

bool SearchText::HasHeader(std::string_view name) {
  for (const HeaderField& f : TopHeader().fields)
    if (f.has_colon && HeaderNameEquals(f.Name(data_), name)) return true;
  return false;
}

std::vector<std::string> SearchText::HeaderValues(std::string_view name, bool named) {
  std::vector<std::string> values;
  for (const HeaderField& f : TopHeader().fields) {
    if (!f.has_colon || !HeaderNameEquals(f.Name(data_), name)) continue;
    std::string value = SearchHeaderValue(data_, f);
    if (named && name != "SUBJECT") {
      value = WriteAddressesForSearch(value);
    } else if (named) {
      value = CompressBlanks(value);
    }
    values.push_back(DecodeSearchHeaderText(value));
  }
  return values;
}

void SearchText::BuildParts() {
  if (parts_built_) return;
  parts_built_ = true;
  for (uint32_t i = 0; i < tree_.part_count(); ++i) {
    const Part& part = tree_.part(i);
    if (part.body_offset > data_.size() || part.header_offset > part.body_offset) break;
    std::string_view upto_body = data_.substr(0, part.body_offset);
    HeaderBlock header = SplitHeader(upto_body, part.header_offset);
    PartContent pc;
    std::string text;
    for (const HeaderField& f : header.fields) {
      std::string value = SearchHeaderValue(upto_body, f);
      if (f.has_colon && HeaderNameEquals(f.Name(upto_body), "Content-Type"))
        ReadContentType(value, pc);
      if (f.has_colon && HeaderNameEquals(f.Name(upto_body), "Content-Transfer-Encoding"))
        ReadTransferEncoding(value, pc);
      // name + what lies between it and the value (": "), then the value.
      text.append(upto_body.substr(f.offset, f.value_offset - f.offset));
      text.append(DecodeSearchHeaderText(value));
      text.append("\r\n");
    }
    text.append("\r\n");
    std::string folded_body;
    const bool leaf = part.first_child == kNoPart;
    const bool searched = leaf && pc.text_like && !pc.unknown_encoding;
    if (searched && part.end_offset <= data_.size() && part.body_offset <= part.end_offset) {
      std::string_view raw = data_.substr(part.body_offset, part.end_offset - part.body_offset);
      std::string decoded =
          pc.encoding.empty() ? std::string(raw) : DecodeTransferEncoding(raw, pc.encoding);
      folded_body = SearchCasemap(ToUtf8(pc.charset, decoded));
    }
    std::string folded_header = SearchCasemap(text);
    folded_texts_.push_back(folded_header + folded_body);
    folded_headers_.push_back(std::move(folded_header));
    if (!folded_body.empty()) folded_bodies_.push_back(std::move(folded_body));
  }
}

const std::vector<std::string>& SearchText::FoldedBodies() {
  BuildParts();
  return folded_bodies_;
}

const std::vector<std::string>& SearchText::FoldedTexts() {
  BuildParts();
  return folded_texts_;
}

const std::vector<std::string>& SearchText::FoldedPartHeaders() {
  BuildParts();
  return folded_headers_;
}

}  // namespace loft::mime
