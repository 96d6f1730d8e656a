#include "imap/arg_error.h"

namespace loft::imap {

std::string ArgErrorStatusText(std::string_view display_name, const ArgError& error) {
  std::string out;
  if (error.kind == ArgError::Kind::kNo) {
    out = "NO ";
  } else {
    out = "BAD Error in IMAP command ";
    out.append(display_name);
    out += ": ";
  }
  out += error.text;
  return out;
}

std::string ArgErrorReply(std::string_view tag, std::string_view display_name, const ArgError& error) {
  std::string out(tag);
  out += ' ';
  out += ArgErrorStatusText(display_name, error);
  out += "\r\n";
  return out;
}

}  // namespace loft::imap
