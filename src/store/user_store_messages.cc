// MaildirUserStore: appending, flags, expunging and copying messages.
//
// Order of work for every change: files first (written, fsync'ed, in
// cur/), then the index commit that makes them visible, then unlinks of
// files the commit made invisible, then the announcement. A crash at any
// point leaves at worst an invisible orphan file, removed on a later open.
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <unordered_set>

#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/message_tree.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kAllFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Keywords compare case-insensitively (as the index's COLLATE NOCASE).
bool has_keyword(const std::vector<std::string>& set, std::string_view k) {
  std::string lk = ascii_lower(k);
  return std::any_of(set.begin(), set.end(), [&](const std::string& x) { return ascii_lower(x) == lk; });
}

std::vector<std::string> unique_keywords(std::span<const std::string> keywords) {
  std::vector<std::string> out;
  for (const std::string& k : keywords) {
    check_keyword(k);
    if (!has_keyword(out, k)) out.push_back(k);
  }
  return out;
}

std::vector<uint32_t> sorted_unique(std::span<const uint32_t> uids) {
  std::vector<uint32_t> out(uids.begin(), uids.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

uint32_t take_uid(uint32_t uidnext) {
  if (uidnext == 0 || uidnext == UINT32_MAX) {
    throw StoreError(ErrorCode::kNotPermitted, "mailbox has used up its UIDs");
  }
  return uidnext;
}

}  // namespace

uint32_t MaildirUserStore::append(std::string_view mailbox, const NewMessage& msg) {
  const std::string name = canonical_mailbox_name(mailbox);
  const std::vector<std::string> keywords = unique_keywords(msg.keywords);
  const uint64_t size = normalized_size(msg.pieces);
  if (size > opts_.max_message_size) throw StoreError(ErrorCode::kTooLarge, "message too large");

  MailboxRow row;
  {
    WriteLock lock(*this);
    row = require_mailbox(name);
  }
  const fs::path dir = mailbox_path(row);

  // The file is written without the lock: big messages don't stall readers.
  std::string file;
  {
    MessageWriter writer(dir, opts_.fsync);
    for (std::string_view piece : msg.pieces) writer.write(piece);
    file = writer.finish();
  }
  // Parsed without the lock too: from the caller's bytes when they are
  // stored unchanged, else from the file just written (still in the page
  // cache), which spares a normalised copy of the whole message in memory.
  // The tree is only a cache: if it cannot be made now, it is made when
  // first asked for.
  std::string tree;
  try {
    if (msg.pieces.size() == 1 && msg.pieces[0].size() == size) {
      tree = tree_of(msg.pieces[0]);
    } else {
      tree = tree_of_file(dir / "cur" / file);
    }
  } catch (const StoreError&) {
    tree.clear();
  } catch (...) {
    unlink_quiet(dir / "cur" / file);
    throw;
  }

  uint32_t uid = 0;
  std::string announced;
  try {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    // By id: a rename in the meantime still receives the message.
    auto current = db_->mailbox_by_id(row.id);
    if (!current) throw StoreError(ErrorCode::kNotFound, "mailbox was deleted");
    uid = take_uid(current->uidnext);
    MessageInfo info;
    info.uid = uid;
    info.size = size;
    info.internal_date = msg.internal_date.value_or(static_cast<int64_t>(std::time(nullptr)));
    info.internal_tz = msg.internal_tz;
    info.flags = msg.flags & kAllFlags;
    info.modseq = current->highest_modseq + 1;
    int64_t id = db_->insert_message(row.id, info, file);
    db_->add_keywords(id, keywords);
    if (!tree.empty()) db_->put_tree(id, tree);
    db_->set_counters(row.id, uid + 1, info.modseq);
    announced = current->name;
    tx.commit();  // nothing that can throw may follow inside this try
  } catch (...) {
    unlink_quiet(dir / "cur" / file);  // never visible: no index row
    throw;
  }
  announce({announced}, 1);
  return uid;
}

// MULTIAPPEND: every file written and fsync'ed together (MessageBatch),
// then one index transaction for all of them; any failure before the commit
// removes every file, so nothing of the batch ever becomes visible.
std::vector<uint32_t> MaildirUserStore::append_many(std::string_view mailbox, std::span<const NewMessage> msgs) {
  if (msgs.size() <= 1) {
    std::vector<uint32_t> one;
    if (!msgs.empty()) one.push_back(append(mailbox, msgs[0]));
    return one;
  }
  const std::string name = canonical_mailbox_name(mailbox);
  std::vector<std::vector<std::string>> keywords;
  std::vector<uint64_t> sizes;
  for (const NewMessage& m : msgs) {
    keywords.push_back(unique_keywords(m.keywords));
    sizes.push_back(normalized_size(m.pieces));
    if (sizes.back() > opts_.max_message_size) throw StoreError(ErrorCode::kTooLarge, "message too large");
  }
  MailboxRow row;
  {
    WriteLock lock(*this);
    row = require_mailbox(name);
  }
  const fs::path dir = mailbox_path(row);

  // Files and trees without the lock, as append() does.
  MessageBatch batch(dir, opts_.fsync);
  std::vector<std::string> trees(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    MessageWriter writer(dir, opts_.fsync);
    for (std::string_view piece : msgs[i].pieces) writer.write(piece);
    batch.add(writer.stage());
    try {
      const NewMessage& m = msgs[i];
      trees[i] = m.pieces.size() == 1 && m.pieces[0].size() == sizes[i] ? tree_of(m.pieces[0])
                                                                         : tree_of_file(batch.tmp_path(i));
    } catch (const StoreError&) {
      trees[i].clear();  // only a cache: made when first asked for
    }
  }
  const std::vector<std::string>& files = batch.publish();

  std::vector<uint32_t> uids;
  std::string announced;
  {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    auto current = db_->mailbox_by_id(row.id);  // by id: a rename meanwhile still receives them
    if (!current) throw StoreError(ErrorCode::kNotFound, "mailbox was deleted");
    const uint64_t modseq = current->highest_modseq + 1;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    uint32_t uidnext = current->uidnext;
    for (size_t i = 0; i < msgs.size(); ++i) {
      MessageInfo info;
      info.uid = take_uid(uidnext++);
      info.size = sizes[i];
      info.internal_date = msgs[i].internal_date.value_or(now);
      info.internal_tz = msgs[i].internal_tz;
      info.flags = msgs[i].flags & kAllFlags;
      info.modseq = modseq;
      int64_t id = db_->insert_message(row.id, info, files[i]);
      db_->add_keywords(id, keywords[i]);
      if (!trees[i].empty()) db_->put_tree(id, trees[i]);
      uids.push_back(info.uid);
    }
    db_->set_counters(row.id, uidnext, modseq);
    announced = current->name;
    tx.commit();
    batch.keep();
  }
  announce({announced}, uids.size());
  return uids;
}

std::vector<MessageInfo> MaildirUserStore::store_flags(std::string_view mailbox,
                                                       std::span<const uint32_t> uids, int mode,
                                                       uint32_t flags,
                                                       std::span<const std::string> keywords) {
  return change_flags(mailbox, uids, mode, flags, keywords, UINT64_MAX, nullptr);
}

std::vector<MessageInfo> MaildirUserStore::store_flags_unchanged_since(
    std::string_view mailbox, std::span<const uint32_t> uids, int mode, uint32_t flags,
    std::span<const std::string> keywords, uint64_t max_modseq, std::vector<uint32_t>* modified) {
  return change_flags(mailbox, uids, mode, flags, keywords, max_modseq, modified);
}

std::vector<MessageInfo> MaildirUserStore::change_flags(std::string_view mailbox, std::span<const uint32_t> uids,
                                                        int mode, uint32_t flags,
                                                        std::span<const std::string> keywords,
                                                        uint64_t max_modseq, std::vector<uint32_t>* modified) {
  const std::string name = canonical_mailbox_name(mailbox);
  const std::vector<std::string> kws = unique_keywords(keywords);
  flags &= kAllFlags;
  std::vector<MessageInfo> out;
  bool changed_any = false;
  {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWriteState);
    MailboxRow row = require_mailbox(name);
    // One MODSEQ for the whole operation; unchanged messages keep theirs.
    const uint64_t modseq = row.highest_modseq + 1;
    for (uint32_t uid : sorted_unique(uids)) {
      auto msg = db_->message(row.id, uid);
      if (!msg) continue;
      MessageInfo& info = msg->info;
      if (info.modseq > max_modseq) {
        if (modified) modified->push_back(uid);
        continue;
      }
      uint32_t new_flags = mode > 0 ? (info.flags | flags) : mode < 0 ? (info.flags & ~flags) : flags;
      std::vector<std::string> new_kws;
      if (mode > 0) {
        new_kws = info.keywords;
        for (const std::string& k : kws) {
          if (!has_keyword(new_kws, k)) new_kws.push_back(k);
        }
      } else if (mode < 0) {
        for (const std::string& k : info.keywords) {
          if (!has_keyword(kws, k)) new_kws.push_back(k);
        }
      } else {
        new_kws = kws;
      }
      bool same_kws = new_kws.size() == info.keywords.size() &&
                      std::all_of(new_kws.begin(), new_kws.end(),
                                  [&](const std::string& k) { return has_keyword(info.keywords, k); });
      if (new_flags != info.flags || !same_kws) {
        db_->set_flags(msg->id, new_flags, modseq);
        db_->clear_keywords(msg->id);
        db_->add_keywords(msg->id, new_kws);
        info.flags = new_flags;
        info.keywords = std::move(new_kws);
        std::sort(info.keywords.begin(), info.keywords.end(),
                  [](const std::string& a, const std::string& b) { return ascii_lower(a) < ascii_lower(b); });
        info.modseq = modseq;
        changed_any = true;
      }
      out.push_back(std::move(info));
    }
    if (changed_any) {
      db_->set_counters(row.id, row.uidnext, modseq);
      tx.commit();
    }
  }
  if (changed_any) announce({name});
  return out;
}

void MaildirUserStore::remove_messages(const MailboxRow& row, const std::vector<MessageRow>& messages,
                                       std::vector<fs::path>* unlink_after) {
  if (messages.empty()) return;
  const fs::path dir = mailbox_path(row);
  const uint64_t modseq = row.highest_modseq + 1;
  for (const MessageRow& m : messages) {
    db_->delete_message(m.id);
    db_->insert_tombstone(row.id, m.info.uid, modseq);
    unlink_after->push_back(cur_path(dir, m.file));
  }
  db_->set_counters(row.id, row.uidnext, modseq);
}

std::vector<uint32_t> MaildirUserStore::expunge(std::string_view mailbox, std::span<const uint32_t> uids) {
  const std::string name = canonical_mailbox_name(mailbox);
  std::vector<uint32_t> removed;
  {
    WriteLock lock(*this);
    std::vector<fs::path> files;
    {
      Transaction tx(*db_, Transaction::kWrite);
      MailboxRow row = require_mailbox(name);
      std::vector<MessageRow> messages;
      for (uint32_t uid : sorted_unique(uids)) {
        auto msg = db_->message(row.id, uid);
        if (!msg) continue;
        removed.push_back(uid);
        messages.push_back(std::move(*msg));
      }
      if (removed.empty()) return removed;
      remove_messages(row, messages, &files);
      tx.commit();
    }
    for (const fs::path& f : files) unlink_quiet(f);
  }
  announce({name});
  return removed;
}

std::vector<uint32_t> MaildirUserStore::expunge_deleted(std::string_view mailbox,
                                                        std::optional<std::span<const uint32_t>> within) {
  const std::string name = canonical_mailbox_name(mailbox);
  std::vector<uint32_t> wanted;
  if (within) wanted = sorted_unique(*within);
  std::vector<uint32_t> removed;
  {
    WriteLock lock(*this);
    std::vector<fs::path> files;
    {
      // Chosen and removed under one write lock: a \Deleted flag set or
      // cleared by anyone before this point counts, none after it.
      Transaction tx(*db_, Transaction::kWrite);
      MailboxRow row = require_mailbox(name);
      std::vector<MessageRow> messages = db_->deleted_messages(row.id);
      if (within) {
        std::erase_if(messages, [&](const MessageRow& m) {
          return !std::binary_search(wanted.begin(), wanted.end(), m.info.uid);
        });
      }
      if (messages.empty()) return removed;
      for (const MessageRow& m : messages) removed.push_back(m.info.uid);
      remove_messages(row, messages, &files);
      tx.commit();
    }
    for (const fs::path& f : files) unlink_quiet(f);
  }
  announce({name});
  return removed;
}

std::vector<uint32_t> MaildirUserStore::copy(std::string_view from, std::span<const uint32_t> uids,
                                             std::string_view to) {
  return copy_messages(from, uids, to, false);
}

std::vector<uint32_t> MaildirUserStore::move(std::string_view from, std::span<const uint32_t> uids,
                                             std::string_view to) {
  return copy_messages(from, uids, to, true);
}

// The copies are hard links (or copies) made before the commit; a move's
// source files are unlinked only after it, so a crash leaves at worst
// invisible orphans, never a message in neither or (visibly) both mailboxes.
std::vector<uint32_t> MaildirUserStore::copy_messages(std::string_view from, std::span<const uint32_t> uids,
                                                      std::string_view to, bool remove_sources) {
  const std::string src_name = canonical_mailbox_name(from);
  const std::string dst_name = canonical_mailbox_name(to);
  std::vector<uint32_t> new_uids;
  if (uids.empty()) return new_uids;
  std::vector<fs::path> sources_to_unlink;
  {
    WriteLock lock(*this);
    std::vector<fs::path> created;
    try {
      Transaction tx(*db_, Transaction::kWrite);
      MailboxRow src = require_mailbox(src_name);
      MailboxRow dst = require_mailbox(dst_name);
      const fs::path src_dir = mailbox_path(src);
      const fs::path dst_dir = mailbox_path(dst);
      std::vector<MessageRow> rows;
      std::unordered_set<uint32_t> seen;
      for (uint32_t uid : uids) {
        // A message can be moved only once (a copy may be made twice).
        if (remove_sources && !seen.insert(uid).second) continue;
        auto msg = db_->message(src.id, uid);
        if (!msg) throw StoreError(ErrorCode::kNotFound, "no such message: UID " + std::to_string(uid));
        rows.push_back(std::move(*msg));
      }
      const uint64_t modseq = dst.highest_modseq + 1;
      uint32_t uidnext = dst.uidnext;
      struct Insert {
        MessageInfo info;
        std::string file;
        int64_t source_id;
      };
      std::vector<Insert> inserts;
      for (const MessageRow& m : rows) {
        std::string file = cur_file_name(new_unique_name(), m.info.size);
        fs::path target = dst_dir / "cur" / file;
        link_or_copy(cur_path(src_dir, m.file), target, opts_.fsync);
        created.push_back(target);
        MessageInfo info = m.info;
        info.uid = take_uid(uidnext++);
        info.modseq = modseq;
        inserts.push_back(Insert{std::move(info), std::move(file), m.id});
      }
      if (opts_.fsync) fsync_dir(dst_dir / "cur");
      for (const Insert& ins : inserts) {
        int64_t id = db_->insert_message(dst.id, ins.info, ins.file);
        db_->add_keywords(id, ins.info.keywords);
        db_->copy_tree(ins.source_id, id);  // same bytes, same tree
        new_uids.push_back(ins.info.uid);
      }
      if (remove_sources) {
        // Same transaction: the copies and the removal commit together. A
        // move within one mailbox shares the destination's MODSEQ.
        const uint64_t src_modseq = src.id == dst.id ? modseq : src.highest_modseq + 1;
        for (const MessageRow& m : rows) {
          db_->delete_message(m.id);
          db_->insert_tombstone(src.id, m.info.uid, src_modseq);
          sources_to_unlink.push_back(cur_path(src_dir, m.file));
        }
        if (src.id != dst.id) db_->set_counters(src.id, src.uidnext, src_modseq);
      }
      db_->set_counters(dst.id, uidnext, modseq);
      tx.commit();
    } catch (...) {
      for (const fs::path& p : created) unlink_quiet(p);  // all or nothing
      throw;
    }
    for (const fs::path& p : sources_to_unlink) unlink_quiet(p);
  }
  if (remove_sources && src_name != dst_name) announce({src_name});
  announce({dst_name}, new_uids.size());
  return new_uids;
}

}  // namespace loft::store::internal
