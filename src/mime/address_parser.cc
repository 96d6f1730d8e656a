#include "mime/address_parser.h"

#include <cstring>

#include "mime/rfc822_tokenizer.h"

namespace loft::mime {
namespace {

constexpr std::string_view kNulReplacement = "\xEF\xBF\xBD";

// Dovecot copies parsed strings with p_strdup(): they end at the first NUL.
std::string CString(const std::string& s) { return std::string(s.c_str(), std::strlen(s.c_str())); }

class AddressListParser {
 public:
  explicit AddressListParser(std::string_view data) : tok_(data) {
    tok_.set_last_comment(&last_comment_);
    tok_.set_nul_replacement(kNulReplacement);
  }

  std::vector<ParsedAddress> Run() {
    if (tok_.SkipLwsp() > 0) ParseAddressList();
    return std::move(out_);
  }

 private:
  // Appends the address being built and starts a new one.
  void AddAddress() {
    out_.push_back(std::move(addr_));
    addr_ = ParsedAddress();
    invalid_ = false;
  }

  void AddFixedAddress() {
    if (!addr_.mailbox) addr_.mailbox = "MISSING_MAILBOX";
    if (!addr_.domain || addr_.domain->empty()) addr_.domain = "MISSING_DOMAIN";
    AddAddress();
  }

  // Local part with non-strict dots (".user", "us..er" and "user." accepted,
  // as Dovecot's ENVELOPE parsing does).
  int ParseNonStrictDotAtom(std::string& out) {
    int ret = -1;
    do {
      while (tok_.peek() == '.') {
        out.push_back('.');
        tok_.advance();
        if (tok_.at_end()) return 0;  // "@domain" missing, local part fine
        ret = 1;
      }
      if (tok_.peek() == '@') break;
      ret = tok_.ParseAtom(out);
    } while (ret > 0 && tok_.peek() == '.');
    return ret;
  }

  int ParseLocalPart() {
    str_.clear();
    int ret = tok_.peek() == '"' ? tok_.ParseQuotedString(str_) : ParseNonStrictDotAtom(str_);
    if (ret < 0) return -1;
    addr_.mailbox = CString(str_);
    return ret;
  }

  int ParseDomain() {
    str_.clear();
    int ret = tok_.ParseDomain(str_);
    if (ret < 0) return -1;
    addr_.domain = CString(str_);
    return ret;
  }

  // obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain)
  int ParseDomainList() {
    str_.clear();
    for (;;) {
      if (tok_.at_end()) return 0;
      if (tok_.peek() != '@') break;
      if (!str_.empty()) str_.push_back(',');
      str_.push_back('@');
      int ret = tok_.ParseDomain(str_);
      if (ret <= 0) return ret;
      while (tok_.SkipLwsp() > 0 && tok_.peek() == ',') tok_.advance();
    }
    addr_.route = CString(str_);
    return 1;
  }

  int ParseAngleAddr() {
    tok_.advance();  // '<'
    if (tok_.SkipLwsp() <= 0) return -1;
    if (tok_.peek() == '@') {
      if (ParseDomainList() > 0 && tok_.peek() == ':') {
        tok_.advance();
      } else {
        addr_.route = "INVALID_ROUTE";
        if (tok_.at_end()) return -1;
        // try to continue anyway
      }
      if (tok_.SkipLwsp() <= 0) return -1;
    }
    if (tok_.peek() != '>') {  // "<>" is no valid address but is accepted
      if (ParseLocalPart() <= 0) return -1;
      if (tok_.peek() == '@') {
        if (ParseDomain() <= 0) return -1;
      }
    }
    if (tok_.peek() != '>') return -1;
    tok_.advance();
    return tok_.SkipLwsp();
  }

  int ParseNameAddr() {
    str_.clear();
    if (tok_.ParsePhrase(str_) <= 0 || tok_.peek() != '<') return -1;
    std::string name = CString(str_);
    if (name.empty()) {
      addr_.name.reset();  // "<address>" without a display name
    } else {
      addr_.name = std::move(name);
    }
    if (ParseAngleAddr() < 0) {
      addr_.domain = "SYNTAX_ERROR";
      invalid_ = true;
    }
    return tok_.at_end() ? 0 : 1;
  }

  int ParseAddrSpec() {
    int ret2 = -2;
    last_comment_.clear();
    bool quoted_string = tok_.peek() == '"';
    int ret = ParseLocalPart();
    if (ret <= 0) invalid_ = true;
    if (ret != 0 && !tok_.at_end() && tok_.peek() == '@') {
      ret2 = ParseDomain();
      if (ret2 <= 0) ret = ret2;
    }
    if (!last_comment_.empty()) {
      addr_.name = CString(last_comment_);
    } else if (ret2 == -2) {
      // A lone "user" is a mailbox, but "user more words" is a display name.
      str_.push_back(' ');
      size_t orig_size = str_.size();
      (void)tok_.ParsePhrase(str_);
      if (str_.size() != orig_size) {
        addr_.mailbox.reset();
        addr_.name = CString(str_);
      } else if (!quoted_string) {
        addr_.domain = "";
      }
      invalid_ = true;
      ret = -1;
    }
    return ret;
  }

  int ParseMailbox() {
    const char* start = tok_.pos();
    int ret = ParseNameAddr();
    if (ret < 0) {
      tok_.set_pos(start);
      ret = ParseAddrSpec();
      if (invalid_ && !addr_.name && addr_.mailbox && !addr_.domain) {
        addr_.name = std::move(addr_.mailbox);
        addr_.mailbox.reset();
      }
    }
    if (ret < 0) invalid_ = true;
    AddFixedAddress();
    return ret;
  }

  int ParseGroup() {
    str_.clear();
    if (tok_.ParsePhrase(str_) <= 0 || tok_.peek() != ':') return -1;
    // From here on never return -1, so the caller knows this is a group.
    tok_.advance();
    int ret = tok_.SkipLwsp();
    if (ret <= 0) invalid_ = true;
    addr_.mailbox = CString(str_);
    AddAddress();
    if (ret > 0 && tok_.peek() != ';') {
      for (;;) {
        (void)ParseMailbox();  // a broken mailbox does not end the group
        if (tok_.at_end() || tok_.peek() != ',') break;
        tok_.advance();
        if (tok_.SkipLwsp() <= 0) {
          ret = -1;
          break;
        }
      }
    }
    if (ret >= 0) {
      if (tok_.at_end() || tok_.peek() != ';') {
        ret = -1;
      } else {
        tok_.advance();
        ret = tok_.SkipLwsp();
      }
    }
    AddAddress();  // the group end marker
    return ret == 0 ? 0 : 1;
  }

  int ParseAddress() {
    const char* start = tok_.pos();
    int ret = ParseGroup();
    if (ret < 0) {
      tok_.set_pos(start);
      ret = ParseMailbox();
    }
    return ret;
  }

  void ParseAddressList() {
    for (;;) {
      if (ParseAddress() == 0) break;
      if (tok_.at_end() || tok_.peek() != ',') break;
      tok_.advance();
      int ret = tok_.SkipLwsp();
      if (ret <= 0) {
        if (ret < 0) AddFixedAddress();  // ends with garbage
        break;
      }
    }
  }

  Rfc822Tokenizer tok_;
  std::string last_comment_;
  std::string str_;
  ParsedAddress addr_;
  bool invalid_ = false;
  std::vector<ParsedAddress> out_;
};

}  // namespace

std::vector<ParsedAddress> ParseAddressList(std::string_view full_value) {
  return AddressListParser(full_value).Run();
}

}  // namespace loft::mime
