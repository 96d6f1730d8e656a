// SEARCH and UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4) with ESEARCH's RETURN
// options (RFC 4731), SEARCHRES's SAVE and "$" (RFC 5182), CONDSTORE's MODSEQ
// (RFC 7162) and WITHIN's OLDER/YOUNGER (RFC 5032), answering like Dovecot 2.3.
//
// The key tree is evaluated on a worker (search_eval.h) over a snapshot of the
// client's view: messages whose EXPUNGE is still pending never match.
#include <ctime>
#include <memory>
#include <optional>

#include "imap/search_eval.h"
#include "imap/search_keys.h"
#include "imap/search_response.h"
#include "imap/search_store_source.h"
#include "imap/session.h"

namespace loft::imap {
namespace {

// Whether the tree needs the index's size or internal date.
bool NeedsMessageInfo(const SearchKey& k) {
  using Type = SearchKey::Type;
  switch (k.type) {
    case Type::kLarger:
    case Type::kSmaller:
    case Type::kInternalDate:
    case Type::kOlder:
    case Type::kYounger:
      return true;
    default:
      break;
  }
  for (const SearchKey& c : k.children)
    if (NeedsMessageInfo(c)) return true;
  return false;
}

}  // namespace

void ImapSession::cmd_search(const Command& cmd) {
  Parsed<SearchProgram> parsed = ParseSearchArgs(cmd.args);
  if (!parsed) return arg_error(cmd, parsed.error());
  auto program = std::make_shared<const SearchProgram>(std::move(parsed.value()));

  const bool with_modseq = HasModSeqKey(program->root);
  if (with_modseq) enable_condstore();

  // The client's view, unannounced expunges left out. Made on the loop, so
  // as cheap as can be: keywords (a vector of strings per message) only
  // when a key asks for them.
  const bool with_keywords = HasKeywordKey(program->root);
  auto snapshot = std::make_shared<std::vector<SearchMessage>>();
  const MailboxView& view = selected_->view;
  snapshot->reserve(view.count());
  for (uint32_t seq = 1; seq <= view.count(); ++seq) {
    const MailboxView::Message& m = view.at(seq);
    if (m.expunged) continue;
    SearchMessage sm;
    sm.seq = seq;
    sm.uid = m.uid;
    sm.flags = m.flags;
    if (with_keywords) sm.keywords = m.keywords;
    sm.modseq = m.modseq;
    snapshot->push_back(std::move(sm));
  }
  SearchEnvironment env;
  env.message_count = view.count();
  env.highest_uid = view.count() == 0 ? 0 : view.at(view.count()).uid;
  env.saved = saved_result_;  // "$" is the previous result, even when this one SAVEs
  env.now = static_cast<int64_t>(std::time(nullptr));

  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = selected_->name;
  const bool need_info = NeedsMessageInfo(program->root);
  // Like Dovecot, UID SEARCH without sequence numbers may be followed by
  // EXPUNGE responses.
  const Sync sync = cmd.uid && !HasSequenceSetKey(program->root) ? Sync::kFull : Sync::kNoExpunge;

  blocking<std::vector<SearchHit>>(
      [mail, name, program, snapshot, env, need_info] {
        std::vector<SearchMessage>& messages = *snapshot;
        if (need_info) {
          // The store's shared snapshot (usually cached: no index read).
          std::shared_ptr<const store::MailboxSnapshot> snap = mail->snapshot(name);
          const std::vector<store::MessageInfo>& infos = snap->messages;
          // Both are in UID order: merge. Messages gone from the store are dropped.
          size_t j = 0, kept = 0;
          for (SearchMessage& m : messages) {
            while (j < infos.size() && infos[j].uid < m.uid) ++j;
            if (j == infos.size() || infos[j].uid != m.uid) continue;
            m.size = infos[j].size;
            m.internal_date = infos[j].internal_date;
            m.internal_tz = infos[j].internal_tz;
            messages[kept++] = std::move(m);
          }
          messages.resize(kept);
        }
        StoreMessageSource source(*mail, name);
        // The search index, brought up to date first; without one (or when
        // it fails) every content key is a scan.
        std::unique_ptr<store::MailboxSearchIndex> search_index;
        if (HasIndexedContentKey(program->root)) {
          try {
            search_index = mail->search_index(name);
          } catch (const store::StoreError&) {
          }
        }
        std::optional<StoreContentIndex> content;
        if (search_index) content.emplace(*search_index);
        std::vector<size_t> matched =
            EvaluateSearch(program->root, messages, env, source, content ? &*content : nullptr);
        std::vector<SearchHit> hits;
        hits.reserve(matched.size());
        for (size_t i : matched) hits.push_back({messages[i].seq, messages[i].uid, messages[i].modseq});
        return hits;
      },
      [this, program, name, with_modseq, sync](Outcome<std::vector<SearchHit>>& o) {
        const Command& c = *current_;
        const bool save = program->result && program->result->save;
        if (!o.value) {
          if (save) saved_result_ = RangeList();
          return finish(c, store_failure(o.store_error, o.code, o.error, name, "SEARCH"), Sync::kNoExpunge);
        }
        SearchAnswerOptions opts;
        opts.tag = c.tag;
        opts.uid = c.uid;
        opts.result = program->result;
        opts.esearch = rev2_enabled_;
        opts.modseq = with_modseq;
        SearchAnswer answer = BuildSearchAnswer(*o.value, opts);
        if (answer.save) saved_result_ = std::move(*answer.save);
        send(answer.untagged);
        finish(c, "OK Search completed.", sync);
      }, Lane::kRead, pending_read_ahead());  // changes another session made, due at the sync step
}

}  // namespace loft::imap
