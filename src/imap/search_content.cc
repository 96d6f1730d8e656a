#include "imap/search_content.h"

#include <algorithm>

#include "imap/search_casemap.h"
#include "mime/address_parser.h"
#include "mime/decode.h"
#include "mime/mime_params.h"
#include "mime/rfc822_tokenizer.h"
#include "util/ascii.h"

namespace loft::imap {
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
    return mime::IsAtext(static_cast<unsigned char>(c)) || (!escape_dot && c == '.');
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

// RFC 2047 decoding of a header value; bytes outside encoded-words that are
// not UTF-8 become U+FFFD (Dovecot does not guess a charset for raw 8-bit
// headers, so "Fr\xf6sche" is not found by "Frösche").
// (Raw bytes inside an encoded-word belong to its charset and stay.)
std::string DecodeHeaderText(std::string_view value) {
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
    cleaned += mime::SanitizeUtf8(value.substr(plain, i - plain));
    cleaned.append(value.substr(i, end + 2 - i));
    i = plain = end + 2;
  }
  cleaned += mime::SanitizeUtf8(value.substr(plain));
  return mime::DecodeEncodedWords(cleaned);
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
  mime::Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string type;
  (void)tok.ParseContentType(type);
  pc.text_like = StartsWithNoCase(type, "text/") || StartsWithNoCase(type, "message/");
  pc.charset.clear();
  std::vector<mime::MimeParam> params;
  mime::ParseMimeParams(tok, params);
  for (const mime::MimeParam& p : params) {
    if (util::equals_ignore_case(p.name, "charset")) {
      pc.charset = p.value;
      break;
    }
  }
}

void ReadTransferEncoding(std::string_view value, PartContent& pc) {
  mime::Rfc822Tokenizer tok(value);
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
    std::optional<mime::CharsetToUtf8> conv = mime::CharsetToUtf8::Open(charset);
    if (conv) {
      std::string out;
      conv->Feed(in, out);
      conv->Finish(out);
      return out;
    }
  }
  return mime::SanitizeUtf8(in);  // no charset or an unknown one: UTF-8, like Dovecot
}

}  // namespace

std::string SearchHeaderValue(std::string_view data, const mime::HeaderField& field) {
  std::string full = mime::FullValue(data, field);  // continuation lines joined with '\n'
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
  std::vector<mime::ParsedAddress> addrs = mime::ParseAddressList(value);
  std::string out;
  if (addrs.empty()) return out;
  if (!addrs.front().mailbox && !addrs.front().domain && addrs.size() == 1) return "<>";
  bool first = true, in_group = false;
  for (const mime::ParsedAddress& a : addrs) {
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

const mime::HeaderBlock& MessageText::top_header() {
  if (!top_header_) {
    uint64_t end = std::min<uint64_t>(tree_.root().body_offset, data_.size());
    top_header_ = mime::SplitHeader(data_.substr(0, end));
  }
  return *top_header_;
}

std::vector<std::string> MessageText::HeaderValuesForSearch(const SearchKey& key) {
  std::vector<std::string> values;
  const mime::HeaderBlock& header = top_header();
  for (const mime::HeaderField& f : header.fields) {
    if (!f.has_colon || !mime::HeaderNameEquals(f.Name(data_), key.header)) continue;
    std::string value = SearchHeaderValue(data_, f);
    if (key.named_header && key.header != "SUBJECT") {
      value = WriteAddressesForSearch(value);
    } else if (key.named_header) {
      value = CompressBlanks(value);
    }
    values.push_back(DecodeHeaderText(value));
  }
  return values;
}

bool MessageText::MatchHeader(const SearchKey& key, std::string_view folded_key) {
  if (key.text.empty()) {
    // Existence of the field.
    for (const mime::HeaderField& f : top_header().fields)
      if (f.has_colon && mime::HeaderNameEquals(f.Name(data_), key.header)) return true;
    return false;
  }
  for (const std::string& value : HeaderValuesForSearch(key))
    if (Contains(SearchCasemap(value), folded_key)) return true;
  return false;
}

MessageDate MessageText::SentDate() {
  for (const mime::HeaderField& f : top_header().fields) {
    if (!f.has_colon || !mime::HeaderNameEquals(f.Name(data_), "Date")) continue;
    std::optional<MessageDate> d = ParseMessageDate(SearchHeaderValue(data_, f));
    if (!d) return MessageDate{};
    // Dovecot keeps the sent date as a 32-bit unsigned number: dates before
    // 1970 or after 2106 wrap around (1969 becomes 2105), and its searches
    // see the wrapped value.
    d->utc = static_cast<int64_t>(static_cast<uint32_t>(d->utc));
    return *d;
  }
  return MessageDate{};
}

void MessageText::BuildParts() {
  if (parts_built_) return;
  parts_built_ = true;
  for (uint32_t i = 0; i < tree_.part_count(); ++i) {
    const mime::Part& part = tree_.part(i);
    if (part.body_offset > data_.size() || part.header_offset > part.body_offset) break;
    std::string_view upto_body = data_.substr(0, part.body_offset);
    mime::HeaderBlock header = mime::SplitHeader(upto_body, part.header_offset);
    PartContent pc;
    std::string text;
    for (const mime::HeaderField& f : header.fields) {
      std::string value = SearchHeaderValue(upto_body, f);
      if (f.has_colon && mime::HeaderNameEquals(f.Name(upto_body), "Content-Type"))
        ReadContentType(value, pc);
      if (f.has_colon && mime::HeaderNameEquals(f.Name(upto_body), "Content-Transfer-Encoding"))
        ReadTransferEncoding(value, pc);
      // name + what lies between it and the value (": "), then the value.
      text.append(upto_body.substr(f.offset, f.value_offset - f.offset));
      text.append(DecodeHeaderText(value));
      text.append("\r\n");
    }
    text.append("\r\n");
    std::string folded_body;
    const bool leaf = part.first_child == mime::kNoPart;
    const bool searched = leaf && pc.text_like && !pc.unknown_encoding;
    if (searched && part.end_offset <= data_.size() && part.body_offset <= part.end_offset) {
      std::string_view raw = data_.substr(part.body_offset, part.end_offset - part.body_offset);
      std::string decoded =
          pc.encoding.empty() ? std::string(raw) : mime::DecodeTransferEncoding(raw, pc.encoding);
      folded_body = SearchCasemap(ToUtf8(pc.charset, decoded));
    }
    std::string folded_text = SearchCasemap(text);
    folded_text += folded_body;
    folded_texts_.push_back(std::move(folded_text));
    if (!folded_body.empty()) folded_bodies_.push_back(std::move(folded_body));
  }
}

const std::vector<std::string>& MessageText::FoldedBodies() {
  BuildParts();
  return folded_bodies_;
}

const std::vector<std::string>& MessageText::FoldedTexts() {
  BuildParts();
  return folded_texts_;
}

bool MessageText::MatchBody(std::string_view folded_key) {
  if (folded_key.empty()) return true;
  for (const std::string& body : FoldedBodies())
    if (Contains(body, folded_key)) return true;
  return false;
}

bool MessageText::MatchText(std::string_view folded_key) {
  if (folded_key.empty()) return true;
  for (const std::string& text : FoldedTexts())
    if (Contains(text, folded_key)) return true;
  return false;
}

}  // namespace loft::imap
