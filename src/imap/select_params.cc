#include "imap/select_params.h"

#include "imap/mailbox_name.h"
#include "imap/numbers.h"

namespace loft::imap {
namespace {

// A set without '*' (Dovecot's imap_seq_set_nostar_parse).
std::optional<RangeList> NoStarSet(const Arg& arg) {
  std::optional<std::string_view> atom = arg.atom();
  if (!atom) return std::nullopt;
  Parsed<SequenceSet> set = SequenceSet::Parse(*atom, "", false);
  if (!set || set->uses_star()) return std::nullopt;
  return set->Resolve(UINT32_MAX);
}

std::optional<ArgError> ParseQresync(const Arg* arg, QresyncParams* q) {
  if (!arg || !arg->is_list()) return ArgError::Bad("QRESYNC parameters missing");
  const Args& p = arg->list();
  std::optional<uint32_t> uidvalidity = p.size() > 0 && p[0].atom() ? ParseUint32(*p[0].atom()) : std::nullopt;
  std::optional<uint64_t> modseq = p.size() > 1 && p[1].atom() ? ParseUint64(*p[1].atom()) : std::nullopt;
  if (!uidvalidity || !modseq) return ArgError::Bad("Invalid QRESYNC parameters");
  q->uidvalidity = *uidvalidity;
  q->modseq = *modseq;
  size_t i = 2;
  if (i < p.size() && p[i].atom()) {
    q->known_uids = NoStarSet(p[i]);
    if (!q->known_uids) return ArgError::Bad("Invalid QRESYNC known-uids");
    ++i;
  }
  if (i < p.size() && p[i].is_list()) {
    const Args& m = p[i].list();
    q->known_seqs = m.size() > 0 ? NoStarSet(m[0]) : std::nullopt;
    if (!q->known_seqs) return ArgError::Bad("Invalid QRESYNC known-sequence-set");
    q->known_seq_uids = m.size() > 1 ? NoStarSet(m[1]) : std::nullopt;
    if (!q->known_seq_uids) return ArgError::Bad("Invalid QRESYNC known-uid-set");
    if (q->known_seqs->count() != q->known_seq_uids->count()) return ArgError::Bad("Invalid QRESYNC sets");
    if (m.size() > 2) return ArgError::Bad("Too many parameters to QRESYNC known set");
    ++i;
  }
  if (i != p.size()) return ArgError::Bad("Invalid QRESYNC parameters");
  return std::nullopt;
}

}  // namespace

Parsed<SelectArgs> ParseSelectArgs(ArgSpan args, bool utf8_mode, bool qresync_enabled, char separator) {
  if (args.empty() || !args[0].astring()) return ArgError::Bad("Invalid arguments");
  SelectArgs out;
  // Dovecot resolves the name (and refuses a bad one) before the options.
  Parsed<std::string> name = ParseMailboxName(args[0], utf8_mode, separator);
  if (!name) return name.error();
  out.mailbox = std::move(name.value());
  if (args.size() > 1 && args[1].is_list()) {
    const Args& opts = args[1].list();
    for (size_t i = 0; i < opts.size(); ++i) {
      std::optional<std::string_view> name = opts[i].atom();
      if (!name || opts[i].is_section_atom()) return ArgError::Bad("SELECT options contain non-atoms");
      if (EqualsIgnoreCase(*name, "CONDSTORE")) {
        out.condstore = true;
      } else if (EqualsIgnoreCase(*name, "QRESYNC")) {
        if (!qresync_enabled) return ArgError::Bad("QRESYNC not enabled");
        QresyncParams q;
        if (std::optional<ArgError> e = ParseQresync(i + 1 < opts.size() ? &opts[i + 1] : nullptr, &q)) return *e;
        ++i;
        out.qresync = std::move(q);
        out.condstore = true;
      } else {
        return ArgError::Bad("Unknown FETCH modifier");
      }
    }
  }
  return out;
}

}  // namespace loft::imap
