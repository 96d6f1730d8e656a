#include "mime/content_fields.h"

#include "mime/header.h"
#include "mime/rfc822_tokenizer.h"

namespace loft::mime {

std::string HeaderStrdup(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

// RFC 2046 limits boundaries to 70 bytes; Dovecot keeps 80 and cuts the rest,
// so longer boundary lines still match on their first 80 bytes.
constexpr size_t kMaxBoundary = 80;

void ParseType(ContentFields& f, std::string_view value) {
  Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string str;
  int ret = tok.ParseContentType(str);
  size_t slash = str.find('/');
  f.has_type = true;
  if (slash == std::string::npos) {
    f.type = str;
    f.subtype.clear();  // Dovecot never leaves the subtype unset
  } else {
    f.type = str.substr(0, slash);
    f.subtype = str.substr(slash + 1);
  }
  // A broken Content-Type keeps what could be read, but no parameters.
  if (ret < 0) return;
  ParseMimeParams(tok, f.type_params);
}

void ParseTransferEncoding(ContentFields& f, std::string_view value) {
  Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string str;
  if (tok.ParseMimeToken(str) >= 0 && tok.SkipLwsp() == 0 && !str.empty()) {
    f.has_transfer_encoding = true;
    f.transfer_encoding = std::move(str);
  }
}

void ParseDisposition(ContentFields& f, std::string_view value) {
  Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string str;
  if (tok.ParseMimeToken(str) < 0) return;
  f.has_disposition = true;
  f.disposition = std::move(str);
  f.disposition_params.clear();
  ParseMimeParams(tok, f.disposition_params);
}

// Content-Language: 1#Language-tag, each an atom, separated by commas.
void ParseLanguage(ContentFields& f, std::string_view value) {
  Rfc822Tokenizer tok(value);
  tok.SkipLwsp();
  std::string str;
  while (tok.ParseAtom(str) >= 0) {
    f.languages.push_back(str);
    str.clear();
    if (tok.at_end() || tok.peek() != ',') break;
    tok.advance();
    tok.SkipLwsp();
  }
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && HeaderNameEquals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

void AddContentField(ContentFields& f, std::string_view name, std::string_view full_value) {
  size_t nul = name.find('\0');
  if (nul != std::string_view::npos) name = name.substr(0, nul);
  if (!StartsWithNoCase(name, "Content-")) return;
  std::string_view rest = name.substr(8);
  if (HeaderNameEquals(rest, "ID")) {
    if (!f.has_id) {
      f.has_id = true;
      f.id = HeaderStrdup(full_value);
    }
  } else if (HeaderNameEquals(rest, "MD5")) {
    if (!f.has_md5) {
      f.has_md5 = true;
      f.md5 = HeaderStrdup(full_value);
    }
  } else if (HeaderNameEquals(rest, "Type")) {
    if (!f.has_type) ParseType(f, full_value);
  } else if (HeaderNameEquals(rest, "Transfer-Encoding")) {
    if (!f.has_transfer_encoding) ParseTransferEncoding(f, full_value);
  } else if (HeaderNameEquals(rest, "Language")) {
    if (f.languages.empty()) ParseLanguage(f, full_value);
  } else if (HeaderNameEquals(rest, "Location")) {
    if (!f.has_location) {
      f.has_location = true;
      f.location = HeaderStrdup(full_value);
    }
  } else if (HeaderNameEquals(rest, "Description")) {
    if (!f.has_description) {
      f.has_description = true;
      f.description = HeaderStrdup(full_value);
    }
  } else if (HeaderNameEquals(rest, "Disposition")) {
    // Dovecot re-parses while no disposition parameters were found, so a
    // later Content-Disposition replaces one without parameters.
    if (f.disposition_params.empty()) ParseDisposition(f, full_value);
  }
}

ContentTypeInfo ParseContentTypeForParser(std::string_view full_value, bool want_boundary) {
  ContentTypeInfo info;
  Rfc822Tokenizer tok(full_value);
  tok.SkipLwsp();
  int ret = tok.ParseContentType(info.type_subtype);
  info.ok = ret >= 0;
  if (!info.ok || !want_boundary) return info;
  std::vector<MimeParam> params;
  ParseMimeParams(tok, params);
  for (const MimeParam& p : params) {
    if (HeaderNameEquals(p.name, "boundary")) {
      info.has_boundary = true;
      info.boundary = p.value.substr(0, kMaxBoundary);
      break;
    }
  }
  return info;
}

}  // namespace loft::mime
