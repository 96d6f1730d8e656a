// ID parameters (RFC 2971): NIL or a list of field/value pairs. Dovecot never
// refuses an ID command, whatever its arguments; neither does this parser: it
// keeps the well-formed pairs within RFC 2971's limits (30 pairs, fields of
// 30 octets, values of 1024) and drops the rest.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "imap/args.h"

namespace loft::imap {

struct IdParam {
  std::string field;
  std::optional<std::string> value;  // nullopt for NIL
  bool operator==(const IdParam&) const = default;
};

std::vector<IdParam> ParseIdParams(ArgSpan args);

}  // namespace loft::imap
