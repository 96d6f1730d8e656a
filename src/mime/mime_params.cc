#include "mime/mime_params.h"

#include <algorithm>
#include <cstring>
#include <strings.h>

namespace loft::mime {
namespace {

// NUL inside a quoted parameter value becomes U+FFFD, as in Dovecot.
constexpr std::string_view kNulReplacement = "\xEF\xBF\xBD";

struct IndexedParam {
  std::string key;
  std::string value;
  unsigned idx = 0;
  bool extended = false;
};

void AppendPercentEscaped(std::string& out, const std::string& value) {
  for (char c : value) {
    if (c == '%') {
      out += "%25";
    } else {
      out.push_back(c);
    }
  }
}

// Dovecot compares keys as C strings: a NUL ends them.
std::string_view CString(const std::string& s) {
  return std::string_view(s.c_str(), std::strlen(s.c_str()));
}

}  // namespace

bool ParseMimeParams(Rfc822Tokenizer& tok, std::vector<MimeParam>& out) {
  const std::string_view prev_replacement = tok.nul_replacement();
  tok.set_nul_replacement(kNulReplacement);
  bool broken = false;
  std::vector<IndexedParam> indexed;
  // Dovecot reuses one record for every "key*..." parameter, so a bare "key*"
  // inherits the index of the previous indexed parameter. Kept for byte-exact
  // compatibility.
  unsigned last_idx = 0;
  std::string key, value;
  int ret;
  while ((ret = tok.ParseContentParam(key, value)) != 0) {
    if (ret < 0) {
      broken = true;
      if (tok.at_end()) break;
      tok.advance();
      continue;
    }
    std::string_view k = CString(key);
    size_t star = k.find('*');
    bool plain = true;
    if (star != std::string_view::npos) {
      size_t p = star;
      if (p + 1 < k.size()) {
        ++p;
        last_idx = 0;
        while (p < k.size() && k[p] >= '0' && k[p] <= '9') {
          last_idx = last_idx * 10 + static_cast<unsigned>(k[p] - '0');
          ++p;
        }
      }
      bool extended = p < k.size() && k[p] == '*';
      if (extended) ++p;
      if (p >= k.size()) {
        indexed.push_back({std::string(k.substr(0, star)), std::string(CString(value)), last_idx, extended});
        plain = false;
      }
    }
    if (plain) out.push_back({std::string(k), std::string(CString(value))});
  }
  tok.set_nul_replacement(prev_replacement);
  if (indexed.empty()) return !broken;

  std::stable_sort(indexed.begin(), indexed.end(), [](const IndexedParam& a, const IndexedParam& b) {
    int c = std::strcmp(a.key.c_str(), b.key.c_str());
    if (c != 0) return c < 0;
    return a.idx < b.idx;
  });
  size_t next = 0;
  for (size_t i = 0; i < indexed.size(); i = next) {
    bool ok = true;
    bool have_extended = false;
    unsigned next_idx = 0;
    size_t j = i;
    for (; j < indexed.size(); ++j) {
      if (strcasecmp(indexed[i].key.c_str(), indexed[j].key.c_str()) != 0) break;
      if (indexed[j].idx != next_idx) ok = false;
      if (indexed[j].extended) have_extended = true;
      ++next_idx;
    }
    next = j;
    if (!ok) {
      // Missing pieces: keep every piece as its own parameter, named as sent.
      for (j = i; j < next; ++j) {
        std::string name = indexed[j].key + "*" + std::to_string(indexed[j].idx);
        if (indexed[j].extended) name += "*";
        out.push_back({std::move(name), indexed[j].value});
      }
      continue;
    }
    std::string merged;
    if (!indexed[i].extended && have_extended) merged = "''";
    for (j = i; j < next; ++j) {
      if (!indexed[j].extended && have_extended) {
        AppendPercentEscaped(merged, indexed[j].value);
      } else {
        merged += indexed[j].value;
      }
    }
    std::string name = indexed[i].key;
    if (have_extended) name += "*";
    out.push_back({std::move(name), std::move(merged)});
  }
  return !broken;
}

}  // namespace loft::mime
