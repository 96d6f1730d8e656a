#include "imap/id_params.h"

namespace loft::imap {
namespace {

constexpr size_t kMaxPairs = 30;
constexpr size_t kMaxField = 30;
constexpr size_t kMaxValue = 1024;

}  // namespace

std::vector<IdParam> ParseIdParams(ArgSpan args) {
  std::vector<IdParam> out;
  if (args.empty() || !args[0].is_list()) return out;
  const Args& list = args[0].list();
  for (size_t i = 0; i + 1 < list.size() && out.size() < kMaxPairs; i += 2) {
    std::optional<std::string_view> field = list[i].astring();
    if (!field || list[i].is_nil() || field->size() > kMaxField) continue;
    IdParam p;
    p.field.assign(*field);
    if (!list[i + 1].is_nil()) {
      std::optional<std::string_view> value = list[i + 1].astring();
      if (!value) continue;
      p.value.emplace(value->substr(0, kMaxValue));
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace loft::imap
